import Programme

/// Writes `loyalty.v1.TransactionResult` bytes directly, without building the generated
/// message: one result per record made swift-protobuf's storage class, visitor and
/// copies a sizeable share of the worker's time.
///
/// The bytes are exactly what swift-protobuf writes for the same message (fields in
/// number order, proto3 defaults left out, `outcome` always present, `original` when
/// set), so a replayed batch still republishes identical records. `ResultEncoderTests`
/// holds the two encoders to that; a change to result.proto must change both.
public struct ResultEncoder {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    /// Field numbers of TransactionResult and of Outcome (result.proto).
    private enum Field: UInt64 {
        case partnerId = 1, partnerTxnId, memberId, traceId, outcome, original, partition, offset, isInquiry
        case memberStatus, pendingPoints, expiringPoints, expiringBefore
    }
    private enum OutcomeField: UInt64 {
        case status = 1, reason, reasonDetail, pointsDelta, balanceAfter
    }

    private static let varint: UInt64 = 0
    private static let lengthDelimited: UInt64 = 2

    public static func result(
        partnerId: String, partnerTxnId: String, memberId: String, traceId: String,
        outcome: Outcome, original: Outcome?, partition: Int32, offset: Int64, isInquiry: Bool = false,
        facts: MemberFacts = MemberFacts()
    ) -> [UInt8] {
        var encoder = ResultEncoder(
            capacity: 48 + partnerId.utf8.count + partnerTxnId.utf8.count + memberId.utf8.count + traceId.utf8.count
                + 2 * outcome.detail.utf8.count)
        encoder.string(Field.partnerId.rawValue, partnerId)
        encoder.string(Field.partnerTxnId.rawValue, partnerTxnId)
        encoder.string(Field.memberId.rawValue, memberId)
        encoder.string(Field.traceId.rawValue, traceId)
        encoder.outcome(Field.outcome.rawValue, outcome)
        if let original { encoder.outcome(Field.original.rawValue, original) }
        // int32 and int64 are written as the two's complement varint of their 64-bit value.
        encoder.int(Field.partition.rawValue, Int64(partition))
        encoder.int(Field.offset.rawValue, offset)
        if isInquiry { encoder.int(Field.isInquiry.rawValue, 1) }
        encoder.string(Field.memberStatus.rawValue, facts.status)
        encoder.int(Field.pendingPoints.rawValue, facts.pendingPoints)
        encoder.int(Field.expiringPoints.rawValue, facts.expiringPoints)
        encoder.int(Field.expiringBefore.rawValue, facts.expiringBeforeMilliseconds)
        return encoder.bytes
    }

    private mutating func outcome(_ field: UInt64, _ outcome: Outcome) {
        let status = Int64(Loyalty_V1_ResultStatus(outcome.status).rawValue)
        let reason = Int64(outcome.reason.map { Loyalty_V1_ReasonCode($0).rawValue } ?? 0)
        let detailCount = outcome.detail.utf8.count
        var length = 0
        if status != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: status)) }
        if reason != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: reason)) }
        if detailCount > 0 { length += 1 + Self.varintSize(UInt64(detailCount)) + detailCount }
        if outcome.pointsDelta != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: outcome.pointsDelta)) }
        if outcome.balanceAfter != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: outcome.balanceAfter)) }
        tag(field, Self.lengthDelimited)
        append(UInt64(length))
        int(OutcomeField.status.rawValue, status)
        int(OutcomeField.reason.rawValue, reason)
        string(OutcomeField.reasonDetail.rawValue, outcome.detail)
        int(OutcomeField.pointsDelta.rawValue, outcome.pointsDelta)
        int(OutcomeField.balanceAfter.rawValue, outcome.balanceAfter)
    }

    private mutating func string(_ field: UInt64, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            guard !utf8.isEmpty else { return }
            tag(field, Self.lengthDelimited)
            append(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A varint field; proto3 leaves zero out.
    private mutating func int(_ field: UInt64, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, Self.varint)
        append(UInt64(bitPattern: value))
    }

    private mutating func tag(_ field: UInt64, _ wireType: UInt64) {
        append(field << 3 | wireType)
    }

    private mutating func append(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var v = value >> 7
        while v != 0 {
            size += 1
            v >>= 7
        }
        return size
    }
}
