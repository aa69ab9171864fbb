import Programme
import SwiftProtobuf

/// A record of the transactions topic after structural decoding: everything the ledger
/// can apply. Records that cannot become one of these go to the dead-letter topic with
/// the `WireError` that says why.
public enum InboundMessage: Sendable, Equatable {
    case transaction(Transaction, traceId: String)
    case barrier(cycle: Int64, closedAtMilliseconds: Int64)
    /// `eventTimeMilliseconds`: the moment the balance is asked for (received_at_ms, else
    /// occurred_at_ms); the answer is the balance spendable then, expired lots excluded.
    case inquiry(partnerId: String, requestId: String, memberId: String, eventTimeMilliseconds: Int64, traceId: String)
}

/// Why a record could not be decoded into an `InboundMessage`: the field and the reason.
/// The same value a field limit's check throws (`FieldLimits.Violation`), so structure
/// and limits report alike and pass through without conversion.
public typealias WireError = FieldLimits.Violation

extension InboundMessage {
    /// Decodes the bytes of a transactions-topic record. The common record takes
    /// `EnvelopeFastPath` (same answer, a fraction of the time); `fastPath: false` is the
    /// definition alone (SwiftProtobuf and the structural checks), for the tests that
    /// compare the two.
    public static func decode(_ bytes: [UInt8], fastPath: Bool = true) -> Result<InboundMessage, WireError> {
        if fastPath, let message = EnvelopeFastPath.decode(bytes) { return .success(message) }
        let envelope: Loyalty_V1_TransactionEnvelope
        do {
            envelope = try Loyalty_V1_TransactionEnvelope(serializedBytes: bytes)
        } catch {
            return .failure(WireError(field: "record", reason: "not a loyalty.v1.TransactionEnvelope (\(error))"))
        }
        return Result { () throws(WireError) in try InboundMessage(envelope) }
    }

    /// Checks the structure of an envelope: the fields a result needs, a body, the body's
    /// required fields, and every text field against `FieldLimits` (size and alphabet).
    /// Range checks against the programme (partner, amount, currency) happen in the ledger.
    public init(_ envelope: Loyalty_V1_TransactionEnvelope) throws(WireError) {
        guard let body = envelope.body else {
            throw WireError(field: "body", reason: "none of accrual, redemption, reversal, barrier, inquiry is set")
        }
        if case .barrier(let barrier) = body {
            guard barrier.cycle >= 1 else {
                throw WireError(field: "barrier.cycle", reason: "must be >= 1, got \(barrier.cycle)")
            }
            self = .barrier(cycle: barrier.cycle, closedAtMilliseconds: barrier.closedAtMs)
            return
        }
        try Self.require(envelope.partnerID, "partner_id")
        try Self.require(envelope.partnerTxnID, "partner_txn_id")
        try Self.require(envelope.memberID, "member_id")
        try FieldLimits.checkTraceId(envelope.traceID, field: "trace_id")
        let eventTime = envelope.receivedAtMs > 0 ? envelope.receivedAtMs : envelope.occurredAtMs
        guard eventTime > 0 else {
            throw WireError(field: "occurred_at_ms", reason: "must be set (UTC milliseconds since 1970), got \(envelope.occurredAtMs)")
        }
        if case .inquiry = body {
            self = .inquiry(
                partnerId: envelope.partnerID,
                requestId: envelope.partnerTxnID,
                memberId: envelope.memberID,
                eventTimeMilliseconds: eventTime,
                traceId: envelope.traceID
            )
            return
        }
        let transactionBody = try Transaction.Body(wire: body)
        let details = try Transaction.Details(wire: envelope)
        // A retro-claim is priced at the time the partner says it happened.
        let ledgerTime = details.retroClaim ? envelope.occurredAtMs : eventTime
        guard ledgerTime > 0 else {
            throw WireError(field: "occurred_at_ms", reason: "a retro-claim needs its original time, got \(envelope.occurredAtMs)")
        }
        self = .transaction(
            Transaction(
                partnerId: envelope.partnerID,
                partnerTxnId: envelope.partnerTxnID,
                memberId: envelope.memberID,
                eventTimeMilliseconds: ledgerTime,
                body: transactionBody,
                details: details
            ),
            traceId: envelope.traceID
        )
    }

    private static func require(_ value: String, _ field: String) throws(WireError) {
        try FieldLimits.checkId(value, field: field)
    }
}
