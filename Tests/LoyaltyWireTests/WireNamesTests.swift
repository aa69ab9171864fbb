import Foundation
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

/// Status and reason names are defined once, by the domain enums; the proto enums must
/// carry the same names and map one to one (a reason added on one side only fails here).
@Suite(.timeLimit(.minutes(10)))
struct WireNamesTests {
    /// The proto name of an Outcome field's enum value, as proto3 JSON writes it.
    private func protoName(_ outcome: Loyalty_V1_Outcome, _ key: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(outcome.jsonString().utf8)) as? [String: Any]
        return try #require(object?[key] as? String)
    }

    @Test func reasonsAreTheProtoReasonCodesByName() throws {
        for reason in RejectReason.allCases {
            let code = Loyalty_V1_ReasonCode(reason)
            #expect(try protoName(.with { $0.reason = code }, "reason") == reason.rawValue)
            #expect(RejectReason(code) == reason)
        }
        let known = Loyalty_V1_ReasonCode.allCases.filter { $0 != .unspecified }
        #expect(known.count == RejectReason.allCases.count)
        #expect(known.allSatisfy { RejectReason($0) != nil })
        #expect(RejectReason(Loyalty_V1_ReasonCode.unspecified) == nil && RejectReason(Loyalty_V1_ReasonCode.UNRECOGNIZED(99)) == nil)
    }

    @Test func statusesAreTheProtoResultStatusesByName() throws {
        for status in Outcome.Status.allCases {
            let wire = Loyalty_V1_ResultStatus(status)
            #expect(try protoName(.with { $0.status = wire }, "status") == status.name)
            #expect(Outcome.Status(wire) == status)
        }
        #expect(Loyalty_V1_ResultStatus.allCases.filter { $0 != .unspecified }.count == Outcome.Status.allCases.count)
        #expect(Outcome.Status(Loyalty_V1_ResultStatus.unspecified) == nil)
    }
}
