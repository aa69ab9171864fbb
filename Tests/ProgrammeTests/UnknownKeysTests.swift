import Foundation
import LoyaltyTesting
import Programme
import Testing

/// A key no field reads is a problem with its path: a misspelt setting must not leave a
/// rule quietly at its default.
@Suite(.timeLimit(.minutes(10)))
struct UnknownKeysTests {
    func decode(_ edit: (inout [String: Any]) -> Void) throws -> ProgrammeError? {
        if case .failure(let error) = try decodeEditedSample(edit) { return error }
        return nil
    }

    @Test func theSampleHasNoUnknownKey() throws {
        #expect(try decode { _ in } == nil)
    }

    @Test func misspeltKeysAreNamedWithTheirPath() throws {
        let error = try #require(
            try decode { object in
                object["expiry_month"] = 12
                var partners = object["partners"] as! [[String: Any]]
                partners[1]["pending_day"] = 14
                var earn = partners[2]["earn_bp"] as! [String: Any]
                earn["defualt"] = 300
                partners[2]["earn_bp"] = earn
                object["partners"] = partners
                var op = object["operator"] as! [String: Any]
                op["iban2"] = "x"
                object["operator"] = op
            })
        for field in ["expiry_month", "partners[1].pending_day", "partners[2].earn_bp.defualt", "operator.iban2"] {
            #expect(error.mentions(field), "\(field) in \(error)")
        }
        #expect(error.problems.count == 4, "\(error)")
        #expect(error.problems.allSatisfy { $0.reason.contains("not a field") })
    }

    @Test func categoryNamesAreDataNotFields() throws {
        // Keys of a rate map are categories of the partner's choosing, never unknown.
        #expect(
            try decode { object in
                var partners = object["partners"] as! [[String: Any]]
                partners[0]["earn_bp"] = ["default": 300, "categories": ["anything-at-all": 700]]
                object["partners"] = partners
            } == nil)
    }
}
