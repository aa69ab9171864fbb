import Programme

/// Reads the common transactions-topic record — one accrual, redemption or reversal,
/// every field at most once, nothing unknown, everything valid — straight from the
/// bytes. Building swift-protobuf's message (storage class, visitor, a String per field
/// through its decoder) was most of the worker's decoding time.
///
/// Anything else returns nil and goes through `InboundMessage.decode` (swift-protobuf
/// and the structural checks), which stays the definition: a repeated or unknown field,
/// another wire type, a barrier or inquiry, invalid UTF-8, a varint that is not plain,
/// or a record that fails a check (so that dead-letter reasons are word for word the
/// same). When this returns a message, it is the one `InboundMessage.decode(_:fastPath: false)`
/// returns; `EnvelopeFastPathTests` and the envelope-decode fuzz harness hold the two to
/// that on valid, mutated and truncated records.
enum EnvelopeFastPath {
    static func decode(_ bytes: [UInt8]) -> InboundMessage? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer, position: 0, end: buffer.count)
            do throws(Declined) { return try envelope(&reader) } catch { return nil }
        }
    }

    /// The record is not of the common shape, or fails a check: the slow path decides.
    private struct Declined: Error {}

    /// Field numbers of loyalty.v1.TransactionEnvelope (transaction.proto).
    private enum Field: UInt64 {
        case partnerId = 1, partnerTxnId, memberId, occurredAt, receivedAt, traceId, cardId
        case accrual = 10, redemption, reversal
    }

    private static let varintType: UInt64 = 0
    private static let lengthType: UInt64 = 2

    private static func envelope(_ reader: inout Reader) throws(Declined) -> InboundMessage {
        var seen: UInt64 = 0
        var partnerId = "", partnerTxnId = "", memberId = "", traceId = ""
        var details = Transaction.Details()
        var occurredAt: Int64 = 0, receivedAt: Int64 = 0
        var bodyField: Field?
        var bodyRange = 0..<0
        while !reader.atEnd {
            let (number, wireType) = try reader.field(&seen)
            guard let field = Field(rawValue: number) else { throw Declined() }
            switch (field, wireType) {
            case (.partnerId, lengthType): partnerId = try reader.string()
            case (.partnerTxnId, lengthType): partnerTxnId = try reader.string()
            case (.memberId, lengthType): memberId = try reader.string()
            case (.traceId, lengthType): traceId = try reader.string()
            case (.cardId, lengthType): details.cardId = try reader.string()
            case (.occurredAt, varintType): occurredAt = try reader.int64()
            case (.receivedAt, varintType): receivedAt = try reader.int64()
            case (.accrual, lengthType), (.redemption, lengthType), (.reversal, lengthType):
                // One body only: a second (even of another kind) is left to swift-protobuf.
                guard bodyField == nil else { throw Declined() }
                bodyField = field
                bodyRange = try reader.bytes()
            default:
                throw Declined()
            }
        }
        // InboundMessage's checks; a record failing one takes the slow path for its reason.
        try check { () throws(FieldLimits.Violation) in
            try FieldLimits.checkId(partnerId, field: "")
            try FieldLimits.checkId(partnerTxnId, field: "")
            try FieldLimits.checkId(memberId, field: "")
            try FieldLimits.checkTraceId(traceId)
            if !details.cardId.isEmpty { try FieldLimits.checkId(details.cardId, field: "") }
        }
        var eventTime = receivedAt > 0 ? receivedAt : occurredAt
        guard eventTime > 0, receivedAt <= 0 || occurredAt > 0 else { throw Declined() }
        var body = Reader(buffer: reader.buffer, position: bodyRange.lowerBound, end: bodyRange.upperBound)
        let transactionBody: Transaction.Body
        switch bodyField {
        case .accrual: transactionBody = try accrual(&body, &details)
        case .redemption: transactionBody = try redemption(&body, &details)
        case .reversal: transactionBody = try reversal(&body)
        default: throw Declined()
        }
        if details.retroClaim {
            // A retro-claim is priced at the time the partner says it happened.
            guard occurredAt > 0 else { throw Declined() }
            eventTime = occurredAt
            details.receivedAtMilliseconds = receivedAt
        } else if receivedAt > 0, occurredAt > 0 {
            // The gateway's stamp is new on every retry; the partner's time stays (`Transaction.Details(wire:)`).
            details.occurredAtMilliseconds = occurredAt
        }
        return .transaction(
            Transaction(
                partnerId: partnerId, partnerTxnId: partnerTxnId, memberId: memberId, eventTimeMilliseconds: eventTime,
                body: transactionBody, details: details),
            traceId: traceId)
    }

    /// `FieldLimits`, as `InboundMessage` applies them; the reason of a failure comes from
    /// the slow path.
    private static func check(_ limits: () throws(FieldLimits.Violation) -> Void) throws(Declined) {
        do { try limits() } catch { throw Declined() }
    }

    /// loyalty.v1.Accrual: 1 amount_minor, 2 currency, 3 category, 4 visits, 5 nights,
    /// 6 product, 7 referral_code, 8 retro_claim (`Transaction.Details(wire:)`'s checks).
    private static func accrual(_ reader: inout Reader, _ details: inout Transaction.Details) throws(Declined) -> Transaction.Body {
        var seen: UInt64 = 0
        var amount: Int64 = 0
        var currency = "", category = ""
        while !reader.atEnd {
            switch try reader.field(&seen) {
            case (1, varintType): amount = try reader.int64()
            case (2, lengthType): currency = try reader.string()
            case (3, lengthType): category = try reader.string()
            case (4, varintType): details.visits = try reader.int64()
            case (5, varintType): details.nights = try reader.int64()
            case (6, lengthType): details.product = try reader.string()
            case (7, lengthType): details.referralCode = try reader.string()
            case (8, varintType): details.retroClaim = try reader.varint() != 0
            default: throw Declined()
            }
        }
        guard Transaction.Details.countRange.contains(details.visits), Transaction.Details.countRange.contains(details.nights) else {
            throw Declined()
        }
        try check { () throws(FieldLimits.Violation) in
            try FieldLimits.checkCurrency(currency)
            try FieldLimits.checkCategory(category)
            if !details.product.isEmpty { try FieldLimits.checkCategory(details.product) }
            if !details.referralCode.isEmpty { try FieldLimits.checkId(details.referralCode, field: "") }
        }
        return .accrual(amountMinor: amount, currency: currency, category: category)
    }

    /// loyalty.v1.Redemption: 1 points, 2 bill_amount_minor, 3 reward_id.
    private static func redemption(_ reader: inout Reader, _ details: inout Transaction.Details) throws(Declined) -> Transaction.Body {
        var seen: UInt64 = 0
        var points: Int64 = 0
        while !reader.atEnd {
            switch try reader.field(&seen) {
            case (1, varintType): points = try reader.int64()
            case (2, varintType): details.billAmountMinor = try reader.int64()
            case (3, lengthType): details.rewardId = try reader.string()
            default: throw Declined()
            }
        }
        try check { () throws(FieldLimits.Violation) in
            if details.billAmountMinor != 0 { try FieldLimits.checkAmount(details.billAmountMinor, field: "") }
            if !details.rewardId.isEmpty { try FieldLimits.checkId(details.rewardId, field: "") }
        }
        return .redemption(points: points)
    }

    /// loyalty.v1.Reversal: 1 kind (REFUND = 1, CANCEL = 2), 2 original_partner_txn_id,
    /// 3 amount_minor, 4 currency.
    private static func reversal(_ reader: inout Reader) throws(Declined) -> Transaction.Body {
        var seen: UInt64 = 0
        var kind: Int64 = 0
        var original = "", currency = ""
        var amount: Int64 = 0
        while !reader.atEnd {
            switch try reader.field(&seen) {
            case (1, varintType): kind = try reader.int64()
            case (2, lengthType): original = try reader.string()
            case (3, varintType): amount = try reader.int64()
            case (4, lengthType): currency = try reader.string()
            default: throw Declined()
            }
        }
        try check { () throws(FieldLimits.Violation) in
            try FieldLimits.checkId(original, field: "")
            try FieldLimits.checkCurrency(currency)
        }
        switch kind {
        case 1: return .refund(originalPartnerTxnId: original, amountMinor: amount, currency: currency)
        case 2: return .cancel(originalPartnerTxnId: original)
        default: throw Declined()
        }
    }

    /// Protobuf wire reading over a buffer; every malformation declines.
    private struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var position: Int
        let end: Int

        var atEnd: Bool { position >= end }

        /// A varint of at most 10 bytes whose value fits 64 bits.
        mutating func varint() throws(Declined) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < end {
                let byte = buffer[position]
                position += 1
                if shift == 63 && byte > 1 { throw Declined() }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
                if shift > 63 { throw Declined() }
            }
            throw Declined()
        }

        /// An int64 (or enum) field's value: the two's complement of the varint.
        mutating func int64() throws(Declined) -> Int64 {
            Int64(bitPattern: try varint())
        }

        /// The next field's number and wire type; a field seen before in this message
        /// (`seen`, one bit per number below 64) declines, as does a number of 64 or more.
        mutating func field(_ seen: inout UInt64) throws(Declined) -> (number: UInt64, wireType: UInt64) {
            let tag = try varint()
            let number = tag >> 3
            guard tag <= UInt64(UInt32.max), number != 0, number < 64, seen & (1 << number) == 0 else { throw Declined() }
            seen |= 1 << number
            return (number, tag & 7)
        }

        mutating func bytes() throws(Declined) -> Range<Int> {
            let length = try varint()
            guard length <= UInt64(end - position) else { throw Declined() }
            let range = position..<(position + Int(length))
            position = range.upperBound
            return range
        }

        /// Valid UTF-8 only (swift-protobuf refuses anything else). ASCII, the usual case,
        /// needs no validation beyond the check for it.
        mutating func string() throws(Declined) -> String {
            let utf8 = UnsafeBufferPointer(rebasing: buffer[try bytes()])
            var ascii = true
            for byte in utf8 where byte >= 0x80 {
                ascii = false
                break
            }
            if ascii { return String(decoding: utf8, as: UTF8.self) }
            guard let text = String(validating: utf8, as: UTF8.self) else { throw Declined() }
            return text
        }
    }
}
