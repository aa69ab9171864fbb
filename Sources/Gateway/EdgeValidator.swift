import Foundation
import HTTPTypes
import LoyaltyWire
import Programme
import SwiftProtobuf

/// Decoding and validation of a partner's envelope before anything is published.
/// Structure comes from `InboundMessage` (the same checks the worker makes); ranges,
/// currency and partner come from the programme.
struct EdgeValidator: Sendable {
    enum Format: Sendable { case json, protobuf }

    let programme: Programme

    /// `fastPath: false` is the reference (SwiftProtobuf) JSON decoder alone, for the tests
    /// that compare the two.
    func decode(_ bytes: [UInt8], format: Format, fastPath: Bool = true) throws(EdgeError) -> Loyalty_V1_TransactionEnvelope {
        switch format {
        case .protobuf:
            do { return try Loyalty_V1_TransactionEnvelope(serializedBytes: bytes) } catch {
                throw .badRequest("body", "not a protobuf loyalty.v1.TransactionEnvelope (\(error))")
            }
        case .json:
            // Strict: what SwiftProtobuf alone would let through (duplicate keys, fractions
            // and exponents, control characters) is refused too.
            do throws(WireError) { return try Loyalty_V1_TransactionEnvelope(strictJSON: bytes, fastPath: fastPath) } catch {
                throw .badRequest(error.field, error.reason)
            }
        }
    }

    /// Throws 400 naming the field, or 403 when the envelope is another partner's.
    func validate(_ envelope: Loyalty_V1_TransactionEnvelope, authenticatedPartner: String) throws(EdgeError) {
        switch envelope.body {
        case .barrier: throw .badRequest("barrier", "barriers are written by the clearing node, not accepted from partners")
        case .inquiry: throw .badRequest("inquiry", "use GET /v1/members/{id}/balance for balance inquiries")
        default: break
        }
        guard envelope.occurredAtMs > 0 else {
            throw .badRequest("occurred_at_ms", "is required (UTC milliseconds since 1970), got \(envelope.occurredAtMs)")
        }
        // The worker's own structural checks. received_at_ms plays no part in their verdict
        // here: it only replaces occurred_at_ms as event time, which is > 0 already.
        let message: InboundMessage
        do { message = try InboundMessage(envelope) } catch { throw .badRequest(error.field, error.reason) }
        guard envelope.partnerID == authenticatedPartner else {
            throw EdgeError(
                status: .forbidden, field: "partner_id",
                reason: "the signing key belongs to partner \(authenticatedPartner), not \(envelope.partnerID)")
        }
        // The programme's checks, as `loyalty produce` makes them (one definition).
        if case .transaction(let transaction, _) = message, let problem = programme.problems(of: transaction).first {
            throw .badRequest(problem.field, problem.reason)
        }
    }

    /// Sets what only the edge may set: received_at_ms (wall clock, the ledger's time) and a
    /// trace id when the envelope has none: the trace-id of a valid W3C `traceparent`
    /// header, else a new one.
    static func stamp(_ envelope: inout Loyalty_V1_TransactionEnvelope, nowMilliseconds: Int64, traceParent: String? = nil) {
        envelope.receivedAtMs = nowMilliseconds
        if envelope.traceID.isEmpty { envelope.traceID = TraceParent.traceId(traceParent) ?? newIdentifier() }
    }

    static func newIdentifier() -> String { RandomIdentifiers.shared.next() }
}
