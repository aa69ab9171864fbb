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
            return envelope(&reader)
        }
    }

    /// Field numbers of loyalty.v1.TransactionEnvelope (transaction.proto).
    private enum Field: UInt64 {
        case partnerId = 1, partnerTxnId, memberId, occurredAt, receivedAt, traceId
        case accrual = 10, redemption, reversal
    }

    private static let varintType: UInt64 = 0
    private static let lengthType: UInt64 = 2
    private static func envelope(_ reader: inout Reader) -> InboundMessage? {
        var seen: UInt64 = 0
        var partnerId = "", partnerTxnId = "", memberId = "", traceId = ""
        var occurredAt: Int64 = 0, receivedAt: Int64 = 0
        var bodyField: Field?
        var bodyRange = 0..<0
        while !reader.atEnd {
            guard let (number, wireType) = reader.tag(), number < 64, seen & (1 << number) == 0, let field = Field(rawValue: number)
            else { return nil }
            seen |= 1 << number
            switch (field, wireType) {
            case (.partnerId, lengthType), (.partnerTxnId, lengthType), (.memberId, lengthType), (.traceId, lengthType):
                guard let value = reader.string() else { return nil }
                switch field {
                case .partnerId: partnerId = value
                case .partnerTxnId: partnerTxnId = value
                case .memberId: memberId = value
                default: traceId = value
                }
            case (.occurredAt, varintType), (.receivedAt, varintType):
                guard let value = reader.varint() else { return nil }
                if field == .occurredAt { occurredAt = Int64(bitPattern: value) } else { receivedAt = Int64(bitPattern: value) }
            case (.accrual, lengthType), (.redemption, lengthType), (.reversal, lengthType):
                // One body only: a second (even of another kind) is left to swift-protobuf.
                guard bodyField == nil, let range = reader.bytes() else { return nil }
                bodyField = field
                bodyRange = range
            default:
                return nil
            }
        }
        // InboundMessage's checks; a record failing one takes the slow path for its reason.
        guard isId(partnerId), isId(partnerTxnId), isId(memberId),
            passes({ () throws(FieldLimits.Violation) in try FieldLimits.checkTraceId(traceId) })
        else { return nil }
        let eventTime = receivedAt > 0 ? receivedAt : occurredAt
        guard eventTime > 0 else { return nil }
        var body = Reader(buffer: reader.buffer, position: bodyRange.lowerBound, end: bodyRange.upperBound)
        let transactionBody: Transaction.Body?
        switch bodyField {
        case .accrual: transactionBody = accrual(&body)
        case .redemption: transactionBody = redemption(&body)
        case .reversal: transactionBody = reversal(&body)
        default: transactionBody = nil
        }
        guard let transactionBody else { return nil }
        return .transaction(
            Transaction(
                partnerId: partnerId, partnerTxnId: partnerTxnId, memberId: memberId, eventTimeMilliseconds: eventTime,
                body: transactionBody),
            traceId: traceId)
    }

    /// `FieldLimits`, as `InboundMessage` applies them; the reason of a failure comes from
    /// the slow path.
    private static func isId(_ id: String) -> Bool {
        passes { () throws(FieldLimits.Violation) in try FieldLimits.checkId(id, field: "") }
    }

    private static func passes(_ check: () throws(FieldLimits.Violation) -> Void) -> Bool {
        do {
            try check()
            return true
        } catch {
            return false
        }
    }

    /// loyalty.v1.Accrual: 1 amount_minor, 2 currency, 3 category.
    private static func accrual(_ reader: inout Reader) -> Transaction.Body? {
        var seen: UInt64 = 0
        var amount: Int64 = 0
        var currency = "", category = ""
        while !reader.atEnd {
            guard let (field, wireType) = reader.tag(), field < 64, seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            switch (field, wireType) {
            case (1, varintType):
                guard let value = reader.varint() else { return nil }
                amount = Int64(bitPattern: value)
            case (2, lengthType):
                guard let value = reader.string() else { return nil }
                currency = value
            case (3, lengthType):
                guard let value = reader.string() else { return nil }
                category = value
            default:
                return nil
            }
        }
        guard
            passes({ () throws(FieldLimits.Violation) in
                try FieldLimits.checkCurrency(currency)
                try FieldLimits.checkCategory(category)
            })
        else { return nil }
        return .accrual(amountMinor: amount, currency: currency, category: category)
    }

    /// loyalty.v1.Redemption: 1 points.
    private static func redemption(_ reader: inout Reader) -> Transaction.Body? {
        var points: Int64 = 0
        var seen = false
        while !reader.atEnd {
            guard let (field, wireType) = reader.tag(), field == 1, wireType == varintType, !seen,
                let value = reader.varint()
            else { return nil }
            seen = true
            points = Int64(bitPattern: value)
        }
        return .redemption(points: points)
    }

    /// loyalty.v1.Reversal: 1 kind (REFUND = 1, CANCEL = 2), 2 original_partner_txn_id,
    /// 3 amount_minor, 4 currency.
    private static func reversal(_ reader: inout Reader) -> Transaction.Body? {
        var seen: UInt64 = 0
        var kind: UInt64 = 0
        var original = "", currency = ""
        var amount: Int64 = 0
        while !reader.atEnd {
            guard let (field, wireType) = reader.tag(), field < 64, seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            switch (field, wireType) {
            case (1, varintType):
                guard let value = reader.varint() else { return nil }
                kind = value
            case (2, lengthType):
                guard let value = reader.string() else { return nil }
                original = value
            case (3, varintType):
                guard let value = reader.varint() else { return nil }
                amount = Int64(bitPattern: value)
            case (4, lengthType):
                guard let value = reader.string() else { return nil }
                currency = value
            default:
                return nil
            }
        }
        guard isId(original), passes({ () throws(FieldLimits.Violation) in try FieldLimits.checkCurrency(currency) }) else {
            return nil
        }
        switch kind {
        case 1: return .refund(originalPartnerTxnId: original, amountMinor: amount, currency: currency)
        case 2: return .cancel(originalPartnerTxnId: original)
        default: return nil
        }
    }

    /// Protobuf wire reading over a buffer; every malformation answers nil.
    private struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var position: Int
        let end: Int

        var atEnd: Bool { position >= end }

        /// A varint of at most 10 bytes whose value fits 64 bits.
        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < end {
                let byte = buffer[position]
                position += 1
                if shift == 63 && byte > 1 { return nil }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }

        mutating func tag() -> (field: UInt64, wireType: UInt64)? {
            guard let tag = varint(), tag <= UInt64(UInt32.max), tag >> 3 != 0 else { return nil }
            return (tag >> 3, tag & 7)
        }

        mutating func bytes() -> Range<Int>? {
            guard let length = varint(), length <= UInt64(end - position) else { return nil }
            let range = position..<(position + Int(length))
            position = range.upperBound
            return range
        }

        /// Valid UTF-8 only (swift-protobuf refuses anything else). ASCII, the usual case,
        /// needs no validation beyond the check for it.
        mutating func string() -> String? {
            guard let range = bytes() else { return nil }
            let utf8 = UnsafeBufferPointer(rebasing: buffer[range])
            var ascii = true
            for byte in utf8 where byte >= 0x80 {
                ascii = false
                break
            }
            return ascii ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
        }
    }
}
