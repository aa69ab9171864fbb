/// Decodes the everyday shape of a proto3-JSON `TransactionEnvelope` several times faster
/// than SwiftProtobuf's general decoder, which a batch spends most of its per-line time in.
///
/// It accepts a strict subset of what the reference decoder accepts and returns nil for
/// everything else, which then goes to the reference decoder: so the verdicts and the
/// error messages (field and reason) are always the reference's. The subset: one object
/// with known keys (JSON or proto names, each at most once), strings of printable ASCII
/// without escapes, int64 values as plain digits (bare or quoted, no sign, no leading
/// zero, at most 18 digits), a body of `accrual`, `redemption` or `reversal` (reversal
/// kind by name), JSON whitespace. `EnvelopeJSONFastPathTests` checks on random and
/// malformed input that whatever it decodes, the reference decodes to the same message.
enum EnvelopeJSONFastPath {
    static func decode(_ bytes: [UInt8]) -> Loyalty_V1_TransactionEnvelope? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = FastJSONParser(bytes: buffer)
            guard let envelope = parser.envelope(), parser.atEnd() else { return nil }
            return envelope
        }
    }
}

/// Field ids of the keys the fast path knows, per object.
private enum Key {
    static let envelope: [(name: [UInt8], id: Int)] = [
        ("partner_id", 1), ("partnerId", 1), ("partner_txn_id", 2), ("partnerTxnId", 2), ("member_id", 3), ("memberId", 3),
        ("occurred_at_ms", 4), ("occurredAtMs", 4), ("received_at_ms", 5), ("receivedAtMs", 5), ("trace_id", 6), ("traceId", 6),
        ("accrual", 10), ("redemption", 11), ("reversal", 12),
    ].map { (Array($0.0.utf8), $0.1) }
    static let accrual: [(name: [UInt8], id: Int)] = [
        ("amount_minor", 1), ("amountMinor", 1), ("currency", 2), ("category", 3),
    ].map { (Array($0.0.utf8), $0.1) }
    static let redemption: [(name: [UInt8], id: Int)] = [("points", 1)].map { (Array($0.0.utf8), $0.1) }
    static let reversal: [(name: [UInt8], id: Int)] = [
        ("kind", 1), ("original_partner_txn_id", 2), ("originalPartnerTxnId", 2), ("amount_minor", 3), ("amountMinor", 3), ("currency", 4),
    ].map { (Array($0.0.utf8), $0.1) }
}

private struct FastJSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    mutating func envelope() -> Loyalty_V1_TransactionEnvelope? {
        var envelope = Loyalty_V1_TransactionEnvelope()
        var hasBody = false
        let complete = object(Key.envelope) { parser, id in
            switch id {
            case 1: return parser.string().map { envelope.partnerID = $0 } != nil
            case 2: return parser.string().map { envelope.partnerTxnID = $0 } != nil
            case 3: return parser.string().map { envelope.memberID = $0 } != nil
            case 4: return parser.int64().map { envelope.occurredAtMs = $0 } != nil
            case 5: return parser.int64().map { envelope.receivedAtMs = $0 } != nil
            case 6: return parser.string().map { envelope.traceID = $0 } != nil
            default:
                // Two bodies: the reference refuses (conflicting oneof); let it say so.
                guard !hasBody else { return false }
                hasBody = true
                switch id {
                case 10: return parser.accrual().map { envelope.accrual = $0 } != nil
                case 11: return parser.redemption().map { envelope.redemption = $0 } != nil
                default: return parser.reversal().map { envelope.reversal = $0 } != nil
                }
            }
        }
        return complete ? envelope : nil
    }

    private mutating func accrual() -> Loyalty_V1_Accrual? {
        var accrual = Loyalty_V1_Accrual()
        let complete = object(Key.accrual) { parser, id in
            switch id {
            case 1: return parser.int64().map { accrual.amountMinor = $0 } != nil
            case 2: return parser.string().map { accrual.currency = $0 } != nil
            default: return parser.string().map { accrual.category = $0 } != nil
            }
        }
        return complete ? accrual : nil
    }

    private mutating func redemption() -> Loyalty_V1_Redemption? {
        var redemption = Loyalty_V1_Redemption()
        let complete = object(Key.redemption) { parser, _ in parser.int64().map { redemption.points = $0 } != nil }
        return complete ? redemption : nil
    }

    private mutating func reversal() -> Loyalty_V1_Reversal? {
        var reversal = Loyalty_V1_Reversal()
        let complete = object(Key.reversal) { parser, id in
            switch id {
            case 1:
                guard let name = parser.plainString() else { return false }
                switch String(decoding: UnsafeBufferPointer(rebasing: parser.bytes[name]), as: UTF8.self) {
                case "KIND_UNSPECIFIED": reversal.kind = .unspecified
                case "REFUND": reversal.kind = .refund
                case "CANCEL": reversal.kind = .cancel
                default: return false
                }
                return true
            case 2: return parser.string().map { reversal.originalPartnerTxnID = $0 } != nil
            case 3: return parser.int64().map { reversal.amountMinor = $0 } != nil
            default: return parser.string().map { reversal.currency = $0 } != nil
            }
        }
        return complete ? reversal : nil
    }

    /// An object of `keys`, each at most once; `value` parses the value of key id and
    /// returns false when it is outside the subset.
    private mutating func object(_ keys: [(name: [UInt8], id: Int)], _ value: (inout FastJSONParser, Int) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return true
        }
        var seen: UInt64 = 0
        while true {
            guard let name = plainString(), take(UInt8(ascii: ":")) else { return false }
            guard let id = Self.lookup(UnsafeBufferPointer(rebasing: bytes[name]), keys), seen & (1 << id) == 0 else { return false }
            seen |= 1 << id
            guard value(&self, id) else { return false }
            skipWhitespace()
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return true
            default: return false
            }
        }
    }

    private static func lookup(_ name: UnsafeBufferPointer<UInt8>, _ keys: [(name: [UInt8], id: Int)]) -> Int? {
        for key in keys where key.name.count == name.count && key.name.elementsEqual(name) { return key.id }
        return nil
    }

    /// Only JSON whitespace is left.
    mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0a, 0x0d: index += 1
            default: return
            }
        }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string of printable ASCII without escapes: the range of its content.
    private mutating func plainString() -> Range<Int>? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == Self.quote else { return nil }
        let start = index + 1
        var cursor = start
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == Self.quote {
                index = cursor + 1
                return start..<cursor
            }
            guard byte >= 0x20, byte <= 0x7e, byte != Self.backslash else { return nil }
            cursor += 1
        }
        return nil
    }

    private mutating func string() -> String? {
        plainString().map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
    }

    /// An int64 written as plain digits, bare or quoted: no sign, no leading zero, no
    /// fraction or exponent, at most 18 digits (so it cannot overflow).
    private mutating func int64() -> Int64? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        let quoted = bytes[index] == Self.quote
        if quoted { index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            guard index - start < 18 else { return nil }
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), index < bytes.count else { return nil }
        if quoted {
            guard bytes[index] == Self.quote else { return nil }
            index += 1
            return value
        }
        switch bytes[index] {
        case 0x20, 0x09, 0x0a, 0x0d, UInt8(ascii: ","), UInt8(ascii: "}"): return value
        default: return nil
        }
    }
}
