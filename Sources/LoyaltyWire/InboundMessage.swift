import Programme
import SwiftProtobuf

/// A record of the transactions topic after structural decoding: everything the ledger
/// can apply. Records that cannot become one of these go to the dead-letter topic with
/// the `WireError` that says why.
public enum InboundMessage: Sendable, Equatable {
    case transaction(Transaction, traceId: String)
    /// `accrualSuspended`: partners whose accruals are refused DEPOSIT_EXHAUSTED until the
    /// next barrier (sorted).
    case barrier(cycle: Int64, closedAtMilliseconds: Int64, accrualSuspended: [String])
    /// A programme version published into the log (`loyalty programme publish`): from
    /// here on the shard prices by it.
    case programme(ProgrammeRelease)
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
            for (index, partner) in barrier.accrualSuspended.enumerated() {
                try FieldLimits.checkId(partner, field: "barrier.accrual_suspended[\(index)]")
            }
            self = .barrier(cycle: barrier.cycle, closedAtMilliseconds: barrier.closedAtMs, accrualSuspended: barrier.accrualSuspended)
            return
        }
        if case .programme(let release) = body {
            // Whether the programme loads is the shard's question (it pauses on one it
            // cannot load); here only that the message is whole.
            try FieldLimits.checkId(release.version, field: "programme.version")
            guard release.sha256.utf8.count == 64, release.sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw WireError(field: "programme.sha256", reason: "must be 64 lowercase hex digits")
            }
            guard !release.programmeJson.isEmpty else {
                throw WireError(field: "programme.programme_json", reason: "must not be empty")
            }
            self = .programme(
                ProgrammeRelease(
                    version: release.version, sha256: release.sha256, json: [UInt8](release.programmeJson),
                    publishedAtMilliseconds: release.publishedAtMs))
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
        // The gateway stamps received_at_ms anew on every retry; the idempotency horizon
        // counts from the partner's own time, which only occurred_at_ms carries. Without it
        // a retry of a transaction long archived would look recent and be paid twice.
        guard envelope.receivedAtMs <= 0 || envelope.occurredAtMs > 0 else {
            throw WireError(
                field: "occurred_at_ms",
                reason: "must be set when received_at_ms is (\(envelope.receivedAtMs)): the idempotency horizon counts from "
                    + "the partner's time, got \(envelope.occurredAtMs)")
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
