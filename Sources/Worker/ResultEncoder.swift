import LoyaltyWire
import Programme

/// Writes `loyalty.v1.TransactionResult` bytes directly, without building the generated
/// message: one result per record made swift-protobuf's storage class, visitor and
/// copies a sizeable share of the worker's time.
///
/// The bytes are exactly what swift-protobuf writes for the same message (fields in
/// number order, proto3 defaults left out, `outcome` always present, `original` when
/// set), so a replayed batch still republishes identical records. `ResultEncoderTests`
/// holds the two encoders to that; a change to result.proto must change both.
struct ResultEncoder {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    /// TransactionResult field numbers (result.proto).
    private enum Field {
        static let partnerId: UInt64 = 1
        static let partnerTxnId: UInt64 = 2
        static let memberId: UInt64 = 3
        static let traceId: UInt64 = 4
        static let outcome: UInt64 = 5
        static let original: UInt64 = 6
        static let partition: UInt64 = 7
        static let offset: UInt64 = 8
        static let isInquiry: UInt64 = 9
    }

    private static let varint: UInt64 = 0
    private static let lengthDelimited: UInt64 = 2

    static func result(
        partnerId: String, partnerTxnId: String, memberId: String, traceId: String,
        outcome: Outcome, original: Outcome?, partition: Int32, offset: Int64, isInquiry: Bool = false
    ) -> [UInt8] {
        var encoder = ResultEncoder(
            capacity: 48 + partnerId.utf8.count + partnerTxnId.utf8.count + memberId.utf8.count + traceId.utf8.count
                + 2 * outcome.detail.utf8.count)
        encoder.string(Field.partnerId, partnerId)
        encoder.string(Field.partnerTxnId, partnerTxnId)
        encoder.string(Field.memberId, memberId)
        encoder.string(Field.traceId, traceId)
        encoder.outcome(Field.outcome, outcome)
        if let original { encoder.outcome(Field.original, original) }
        // int32 and int64 are written as the two's complement varint of their 64-bit value.
        encoder.int(Field.partition, Int64(partition))
        encoder.int(Field.offset, offset)
        if isInquiry { encoder.int(Field.isInquiry, 1) }
        return encoder.bytes
    }

    private mutating func outcome(_ field: UInt64, _ outcome: Outcome) {
        let status = Int64(Loyalty_V1_ResultStatus(outcome.status).rawValue)
        let reason = Int64(outcome.reason.map { Loyalty_V1_ReasonCode($0).rawValue } ?? 0)
        let detailCount = outcome.detail.utf8.count
        // Outcome fields: 1 status, 2 reason, 3 reason_detail, 4 points_delta, 5 balance_after.
        var length = 0
        if status != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: status)) }
        if reason != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: reason)) }
        if detailCount > 0 { length += 1 + Self.varintSize(UInt64(detailCount)) + detailCount }
        if outcome.pointsDelta != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: outcome.pointsDelta)) }
        if outcome.balanceAfter != 0 { length += 1 + Self.varintSize(UInt64(bitPattern: outcome.balanceAfter)) }
        tag(field, Self.lengthDelimited)
        append(UInt64(length))
        int(1, status)
        int(2, reason)
        string(3, outcome.detail)
        int(4, outcome.pointsDelta)
        int(5, outcome.balanceAfter)
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
