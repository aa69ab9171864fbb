/// The size and alphabet of every text field a partner sends, and the range of every
/// amount: the one definition the gateway, `loyalty produce`, the worker's decoder and
/// the ledger check against (the C POS SDK repeats the numbers in `loyalty_pos.h`, and a
/// test holds the two equal). docs/partners.md lists them for partners.
///
/// Why these bounds: a record that passes them makes a result of a few kilobytes at
/// most, so no output of the worker can come near Kafka's message limit (issue 9 item 4),
/// and an id can be shown, logged, keyed and quoted in a reason without escaping.
public enum FieldLimits {
    /// partner_id, partner_txn_id, member_id, reversal.original_partner_txn_id: 1 to
    /// this many bytes of `isIdByte` (visible ASCII). Generous for UUIDs (36), ULIDs (26),
    /// card numbers and partner-prefixed receipt numbers.
    public static let maxIdBytes = 128
    /// trace_id: optional; at most this many bytes of `isIdByte`. A W3C traceparent is 55.
    public static let maxTraceIdBytes = 64
    /// accrual.category: optional; at most this many bytes of `isCategoryByte`.
    public static let maxCategoryBytes = 64
    /// accrual.currency, reversal.currency: when set, exactly this many uppercase ASCII
    /// letters (an ISO 4217 code). Empty is left to the ledger (CURRENCY_MISMATCH).
    public static let currencyBytes = 3
    /// amount_minor and points: every amount and point count is in `amountRange`.
    public static let maxAmount: Int64 = 1_000_000_000_000
    public static let amountRange: ClosedRange<Int64> = 1...maxAmount
    /// A result's reason_detail is cut to this many bytes (at a character boundary). With
    /// the limits above the ledger's details stay well below it; the cut is the backstop
    /// that keeps every result small whatever a detail quotes.
    public static let maxDetailBytes = 512

    /// The id alphabet: visible ASCII 0x21–0x7E. No space, no control character (NUL,
    /// tab, newline, DEL), nothing non-ASCII: an id is compared byte for byte, so
    /// look-alike Unicode or invisible characters would make two ids that print alike.
    @inlinable
    public static func isIdByte(_ byte: UInt8) -> Bool { byte >= 0x21 && byte <= 0x7E }

    /// The category alphabet: printable ASCII 0x20–0x7E (space allowed: "home & garden").
    @inlinable
    public static func isCategoryByte(_ byte: UInt8) -> Bool { byte >= 0x20 && byte <= 0x7E }

    /// A field that breaks its limit: the field's wire name and the reason, e.g.
    /// `member_id: is longer than 128 bytes (300)`.
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        public let field: String
        public let reason: String

        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }

        public var description: String { "\(field): \(reason)" }
    }

    /// A required id (partner_id, partner_txn_id, member_id, original_partner_txn_id).
    public static func checkId(_ value: String, field: String) throws(Violation) {
        guard !value.isEmpty else { throw Violation(field: field, reason: "is required and empty") }
        try check(value, field: field, maxBytes: maxIdBytes, alphabet: isIdByte, alphabetName: idAlphabetName)
    }

    /// trace_id: empty (absent) or a short id.
    public static func checkTraceId(_ value: String, field: String = "trace_id") throws(Violation) {
        try check(value, field: field, maxBytes: maxTraceIdBytes, alphabet: isIdByte, alphabetName: idAlphabetName)
    }

    /// accrual.category: empty (the partner's default rate) or a short printable name.
    public static func checkCategory(_ value: String, field: String = "category") throws(Violation) {
        try check(
            value, field: field, maxBytes: maxCategoryBytes, alphabet: isCategoryByte,
            alphabetName: "printable ASCII 0x20-0x7E (no control characters or non-ASCII)")
    }

    /// A currency: empty, or exactly three uppercase ASCII letters.
    public static func checkCurrency(_ value: String, field: String = "currency") throws(Violation) {
        guard !value.isEmpty else { return }
        let utf8 = value.utf8
        guard utf8.count == currencyBytes, utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            throw Violation(
                field: field, reason: "must be 3 uppercase letters (ISO 4217, e.g. EUR), got \(quoted(value))")
        }
    }

    /// An amount or point count (amount_minor, points).
    public static func checkAmount(_ value: Int64, field: String) throws(Violation) {
        guard amountRange.contains(value) else {
            throw Violation(field: field, reason: "must be in 1...10^12, got \(value)")
        }
    }

    /// `text` cut to at most `maxBytes` UTF-8 bytes without splitting a character;
    /// unchanged when it fits. Used for reason details, which quote input values.
    public static func truncated(_ text: String, maxBytes: Int = maxDetailBytes) -> String {
        guard text.utf8.count > maxBytes else { return text }
        let marker = "..."
        let budget = max(0, maxBytes - marker.utf8.count)
        var end = text.utf8.startIndex
        var used = 0
        for index in text.indices {
            let next = text.index(after: index)
            let size = text.utf8.distance(from: index, to: next)
            guard used + size <= budget else { break }
            used += size
            end = next
        }
        return String(text[..<end]) + marker
    }

    /// Text from input as it may be printed or logged: control characters (C0, DEL, C1)
    /// escaped as `\u{…}`, so a hostile name or line cannot drive a terminal.
    public static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static let idAlphabetName = "visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)"

    private static func check(
        _ value: String, field: String, maxBytes: Int, alphabet: (UInt8) -> Bool, alphabetName: String
    ) throws(Violation) {
        let utf8 = value.utf8
        guard utf8.count <= maxBytes else {
            throw Violation(field: field, reason: "is longer than \(maxBytes) bytes (\(utf8.count))")
        }
        var position = 0
        for byte in utf8 {
            guard alphabet(byte) else {
                throw Violation(
                    field: field,
                    reason: "byte \(position) is 0x\(hex(byte)); allowed is \(alphabetName)")
            }
            position += 1
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    /// A short value quoted for a reason (at most 16 characters, escaped).
    static func quoted(_ value: String) -> String {
        let shown = value.unicodeScalars.prefix(16).map { $0.escaped(asASCII: true) }.joined()
        return "\"\(shown)\(value.unicodeScalars.count > 16 ? "..." : "")\""
    }
}
