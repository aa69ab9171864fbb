import Foundation
import LoyaltyTesting
import Programme
import Testing

@Suite(.timeLimit(.minutes(10)))
struct CardsProgrammeTests {
    func problems(maxCards: Any) throws -> [(field: String, reason: String)] {
        if case .failure(let error) = try decodeEditedSample({ $0["max_cards_per_account"] = maxCards }) { return error.problems }
        return []
    }

    @Test func cardLimitIsBetweenOneAndAHundred() throws {
        #expect(try problems(maxCards: 4).isEmpty)
        #expect(try problems(maxCards: 100).isEmpty)
        let zero = try problems(maxCards: 0)
        #expect(zero.map(\.field) == ["max_cards_per_account"] && zero[0].reason.contains("at least 1"))
        let many = try problems(maxCards: 101)
        #expect(many.map(\.field) == ["max_cards_per_account"] && many[0].reason == "must be at most 100, got 101")
    }
}
