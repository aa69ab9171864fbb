import HTTPTypes
import LoyaltyWire
import Programme
import SwiftProtobuf

@testable import Gateway
@testable import LoyaltyWire

/// Whatever `EnvelopeJSONFastPath` decodes, the reference decoder decodes to the same
/// message (and the same bytes); and the edge's verdict on the line (accepted, or the
/// status, field and reason of the refusal) is the same with and without the fast path.
enum JSONFastPathHarness {
    private static let validator = EdgeValidator(programme: .sample)

    static func check(_ bytes: [UInt8]) -> String? {
        if let fast = EnvelopeJSONFastPath.decode(bytes) {
            let reference: Loyalty_V1_TransactionEnvelope
            do throws(EdgeError) { reference = try validator.decode(bytes, format: .json, fastPath: false) } catch {
                return "fast path decoded what the reference refuses (\(error.field): \(error.reason))"
            }
            if fast != reference { return "fast path decoded \(fast), the reference \(reference)" }
            if (try? fast.serializedBytes()) as [UInt8]? != (try? reference.serializedBytes()) as [UInt8]? {
                return "fast path and reference serialise differently"
            }
        }
        let withFastPath = verdict(bytes, fastPath: true)
        let reference = verdict(bytes, fastPath: false)
        return withFastPath == reference ? nil : "verdict \(withFastPath), the reference's \(reference)"
    }

    private enum Verdict: Equatable {
        case accepted([UInt8])
        case refused(status: Int, field: String, reason: String)
    }

    private static func verdict(_ bytes: [UInt8], fastPath: Bool) -> Verdict {
        do throws(EdgeError) {
            let envelope = try validator.decode(bytes, format: .json, fastPath: fastPath)
            try validator.validate(envelope, authenticatedPartner: "pharmacy")
            return .accepted((try? envelope.serializedBytes()) ?? [])
        } catch {
            return .refused(status: error.status.code, field: error.field, reason: error.reason)
        }
    }
}
