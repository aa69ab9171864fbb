import Foundation
import LoyaltyWire
import Testing

@testable import Gateway

/// Results and balance answers carry the member's facts (result fields 10–13) as JSON
/// fields, each only when the programme reports it (issue 13: status, pending and
/// expiring points); a plain programme's answers are unchanged.
@Suite(.timeLimit(.minutes(10)))
struct MemberFactsFieldsTests {
    @Test func aPlainResultAddsNothing() {
        #expect(Gateway.factsFields(Loyalty_V1_TransactionResult()).isEmpty)
    }

    @Test func eachFactIsAFieldWhenPresent() throws {
        var result = Loyalty_V1_TransactionResult()
        result.memberStatus = "Silver"
        result.pendingPoints = 1_000
        result.expiringPoints = 40
        result.expiringBeforeMs = 1_767_830_400_000
        let json = "{" + Gateway.factsFields(result).joined(separator: ",") + "}"
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["member_status"] as? String == "Silver")
        #expect(object["pending_points"] as? Int == 1_000)
        #expect(object["expiring_points"] as? Int == 40)
        #expect(object["expiring_before_ms"] as? Int == 1_767_830_400_000)
        // A balance answer with nothing expiring still says so, with its horizon.
        result.expiringPoints = 0
        #expect(Gateway.factsFields(result).contains("\"expiring_points\":0"))
    }
}
