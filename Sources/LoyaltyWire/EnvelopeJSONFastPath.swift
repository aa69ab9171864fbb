/// Decodes the everyday shape of a proto3-JSON `TransactionEnvelope` several times faster
/// than SwiftProtobuf's general decoder, which a batch spends most of its per-line time in.
///
/// It accepts a strict subset of what the reference decoder accepts and returns nil for
/// everything else, which then goes to the reference decoder: so the verdicts and the
/// error messages (field and reason) are always the reference's. The subset: one object
/// with known keys (JSON or proto names, each at most once), strings of printable ASCII
/// without escapes, int64 values as plain digits (bare or quoted, no sign, no leading
/// zero, at most 18 digits), a body of `accrual`, `redemption` or `reversal` (reversal
/// kind by name), JSON whitespace. `EnvelopeJSONFastPathTests` and the json-fast-path fuzz
/// harness check on random and malformed input that whatever it decodes, the reference
/// decodes to the same message.
enum EnvelopeJSONFastPath {
    static func decode(_ bytes: [UInt8]) -> Loyalty_V1_TransactionEnvelope? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = FastJSONParser(bytes: buffer)
            do throws(Declined) {
                let envelope = try parser.envelope()
                return parser.atEnd() ? envelope : nil
            } catch {
                return nil
            }
        }
    }
}

/// The line is outside the fast path's subset: the reference decides.
private struct Declined: Error {}

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

    mutating func envelope() throws(Declined) -> Loyalty_V1_TransactionEnvelope {
        var envelope = Loyalty_V1_TransactionEnvelope()
        var hasBody = false
        try object(Key.envelope) { parser, id throws(Declined) in
            switch id {
            case 1: envelope.partnerID = try parser.string()
            case 2: envelope.partnerTxnID = try parser.string()
            case 3: envelope.memberID = try parser.string()
            case 4: envelope.occurredAtMs = try parser.int64()
            case 5: envelope.receivedAtMs = try parser.int64()
            case 6: envelope.traceID = try parser.string()
            default:
                // Two bodies: the reference refuses (conflicting oneof); let it say so.
                guard !hasBody else { throw Declined() }
                hasBody = true
                envelope.body =
                    switch id {
                    case 10: .accrual(try parser.accrual())
                    case 11: .redemption(try parser.redemption())
                    default: .reversal(try parser.reversal())
                    }
            }
        }
        return envelope
    }

    private mutating func accrual() throws(Declined) -> Loyalty_V1_Accrual {
        var accrual = Loyalty_V1_Accrual()
        try object(Key.accrual) { parser, id throws(Declined) in
            switch id {
            case 1: accrual.amountMinor = try parser.int64()
            case 2: accrual.currency = try parser.string()
            default: accrual.category = try parser.string()
            }
        }
        return accrual
    }

    private mutating func redemption() throws(Declined) -> Loyalty_V1_Redemption {
        var redemption = Loyalty_V1_Redemption()
        try object(Key.redemption) { parser, _ throws(Declined) in redemption.points = try parser.int64() }
        return redemption
    }

    private mutating func reversal() throws(Declined) -> Loyalty_V1_Reversal {
        var reversal = Loyalty_V1_Reversal()
        try object(Key.reversal) { parser, id throws(Declined) in
            switch id {
            case 1:
                let name = try parser.plainString()
                switch String(decoding: UnsafeBufferPointer(rebasing: parser.bytes[name]), as: UTF8.self) {
                case "KIND_UNSPECIFIED": reversal.kind = .unspecified
                case "REFUND": reversal.kind = .refund
                case "CANCEL": reversal.kind = .cancel
                default: throw Declined()
                }
            case 2: reversal.originalPartnerTxnID = try parser.string()
            case 3: reversal.amountMinor = try parser.int64()
            default: reversal.currency = try parser.string()
            }
        }
        return reversal
    }

    /// An object of `keys`, each at most once; `value` parses the value of key id and
    /// declines when it is outside the subset.
    private mutating func object(
        _ keys: [(name: [UInt8], id: Int)], _ value: (inout FastJSONParser, Int) throws(Declined) -> Void
    ) throws(Declined) {
        guard take(UInt8(ascii: "{")) else { throw Declined() }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        var seen: UInt64 = 0
        while true {
            let name = try plainString()
            guard take(UInt8(ascii: ":")) else { throw Declined() }
            guard let id = Self.lookup(UnsafeBufferPointer(rebasing: bytes[name]), keys), seen & (1 << id) == 0 else { throw Declined() }
            seen |= 1 << id
            try value(&self, id)
            skipWhitespace()
            guard index < bytes.count else { throw Declined() }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw Declined()
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
    private mutating func plainString() throws(Declined) -> Range<Int> {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == Self.quote else { throw Declined() }
        let start = index + 1
        var cursor = start
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == Self.quote {
                index = cursor + 1
                return start..<cursor
            }
            guard byte >= 0x20, byte <= 0x7e, byte != Self.backslash else { throw Declined() }
            cursor += 1
        }
        throw Declined()
    }

    private mutating func string() throws(Declined) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[try plainString()]), as: UTF8.self)
    }

    /// An int64 written as plain digits, bare or quoted: no sign, no leading zero, no
    /// fraction or exponent, at most 18 digits (so it cannot overflow).
    private mutating func int64() throws(Declined) -> Int64 {
        skipWhitespace()
        guard index < bytes.count else { throw Declined() }
        let quoted = bytes[index] == Self.quote
        if quoted { index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            guard index - start < 18 else { throw Declined() }
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), index < bytes.count else { throw Declined() }
        if quoted {
            guard bytes[index] == Self.quote else { throw Declined() }
            index += 1
            return value
        }
        switch bytes[index] {
        case 0x20, 0x09, 0x0a, 0x0d, UInt8(ascii: ","), UInt8(ascii: "}"): return value
        default: throw Declined()
        }
    }
}
