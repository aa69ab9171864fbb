import Programme
import SwiftProtobuf

/// The strictness the envelope's JSON needs and SwiftProtobuf's decoder does not have,
/// checked before it (the fast path is strict by construction): no key twice in an object
/// (`partnerId` and `partner_id` are one key), numbers only as integers (no fraction or
/// exponent, also inside quotes for the integer fields), no control character in any
/// string, at most `maxDepth` nested containers. A violation names the field
/// (`accrual.amount_minor`); JSON that is malformed otherwise passes through, for the
/// reference decoder to refuse in its own words. The gateway (400) and `loyalty produce`
/// (a bad line) use it through `Loyalty_V1_TransactionEnvelope(strictJSON:fastPath:)`.
public enum StrictJSON {
    static let maxDepth = 8
    /// Fields whose value is an integer, quoted or not (proto names).
    static let integerFields: Set<String> = ["occurred_at_ms", "received_at_ms", "amount_minor", "points", "cycle", "closed_at_ms"]

    private enum Container {
        case object(path: String, keys: Set<String>)
        case array(path: String)
    }

    private struct Malformed: Error {}

    public static func check(_ bytes: [UInt8]) throws(WireError) {
        var scanner = Scanner(bytes: bytes)
        do { try scanner.run() } catch let error as WireError { throw error } catch {}
    }

    /// `partnerTxnId` → `partner_txn_id`; proto names stay as they are.
    static func protoName(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isASCII, character.isUppercase {
                out.append("_")
                out.append(contentsOf: character.lowercased())
            } else {
                out.append(character)
            }
        }
        return out
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var stack: [Container] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func run() throws {
            var path = "body"
            var expectValue = true
            while true {
                skipWhitespace()
                if expectValue {
                    guard index < bytes.count else { throw Malformed() }
                    switch bytes[index] {
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        let isObject = bytes[index] == UInt8(ascii: "{")
                        index += 1
                        try depth(path)
                        skipWhitespace()
                        if peek(UInt8(ascii: isObject ? "}" : "]")) {
                            index += 1
                            expectValue = false
                        } else if isObject {
                            stack.append(.object(path: path, keys: []))
                            path = try key()
                        } else {
                            stack.append(.array(path: path))
                        }
                    case UInt8(ascii: "\""):
                        let value = try string(path)
                        if StrictJSON.integerFields.contains(Self.lastComponent(path)) {
                            guard Self.isInteger(Array(value.utf8)) else {
                                throw WireError(
                                    field: path, reason: "must be an integer (digits, no fraction or exponent), got \"\(value.prefix(40))\"")
                            }
                        }
                        expectValue = false
                    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "."):
                        try number(path)
                        expectValue = false
                    default:
                        try literal()
                        expectValue = false
                    }
                    continue
                }
                guard let top = stack.last else {
                    guard index == bytes.count else { throw Malformed() }
                    return
                }
                guard index < bytes.count else { throw Malformed() }
                let byte = bytes[index]
                index += 1
                switch (top, byte) {
                case (.object, UInt8(ascii: ",")):
                    path = try key()
                    expectValue = true
                case (.object(let parent, _), UInt8(ascii: "}")), (.array(let parent), UInt8(ascii: "]")):
                    stack.removeLast()
                    path = parent
                case (.array(let parent), UInt8(ascii: ",")):
                    path = parent
                    expectValue = true
                default: throw Malformed()
                }
            }
        }

        private func depth(_ path: String) throws(WireError) {
            guard stack.count < StrictJSON.maxDepth else { throw WireError(field: path, reason: "nested deeper than \(StrictJSON.maxDepth) levels") }
        }

        /// Reads `"name":` of the object on top of the stack; returns the member's path.
        private mutating func key() throws -> String {
            skipWhitespace()
            guard case .object(let parent, var keys) = stack.last else { throw Malformed() }
            let raw = try string(parent)
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw Malformed() }
            index += 1
            let name = StrictJSON.protoName(raw)
            let path = parent == "body" ? name : parent + "." + name
            guard keys.insert(name).inserted else { throw WireError(field: path, reason: "appears twice (as \(raw) or its other spelling)") }
            stack[stack.count - 1] = .object(path: parent, keys: keys)
            return path
        }

        /// A string, escapes decoded; control characters (raw or escaped) refused for `path`.
        private mutating func string(_ path: String) throws -> String {
            guard peek(UInt8(ascii: "\"")) else { throw Malformed() }
            index += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() throws {
                guard !raw.isEmpty else { return }
                guard let text = String(validating: raw, as: UTF8.self) else { throw Malformed() }
                scalars.append(contentsOf: text.unicodeScalars)
                raw.removeAll()
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    try flush()
                    let text = String(scalars)
                    if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                        throw WireError(field: path, reason: "contains a control character (U+0000...U+001F or U+007F)")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    try flush()
                    guard index < bytes.count else { throw Malformed() }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{8}")
                    case UInt8(ascii: "f"): scalars.append("\u{c}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var value = try hex4()
                        if (0xD800...0xDBFF).contains(value) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw Malformed()
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw Malformed() }
                            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(value) else { throw Malformed() }
                        scalars.append(scalar)
                    default: throw Malformed()
                    }
                default:
                    raw.append(byte)
                }
            }
            throw Malformed()
        }

        private mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw Malformed() }
            var value: UInt32 = 0
            for byte in bytes[index..<(index + 4)] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw Malformed()
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }

        /// A bare number: only integers (`-?(0|[1-9][0-9]*)`).
        private mutating func number(_ path: String) throws(WireError) {
            let start = index
            while index < bytes.count, Self.numberBytes.contains(bytes[index]) { index += 1 }
            let token = Array(bytes[start..<index])
            guard Self.isInteger(token) else {
                throw WireError(
                    field: path,
                    reason: "must be an integer (digits, no fraction or exponent), got \(String(decoding: token.prefix(40), as: UTF8.self))")
            }
        }

        private mutating func literal() throws {
            for word in ["true", "false", "null"] {
                let utf8 = Array(word.utf8)
                if bytes.count - index >= utf8.count, Array(bytes[index..<(index + utf8.count)]) == utf8 {
                    index += utf8.count
                    return
                }
            }
            throw Malformed()
        }

        private static let numberBytes: Set<UInt8> = Set(Array("+-.eE0123456789".utf8))

        static func isInteger(_ token: [UInt8]) -> Bool {
            var digits = token[...]
            if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
            return digits.count == 1 || digits.first != UInt8(ascii: "0")
        }

        static func lastComponent(_ path: String) -> String { String(path.split(separator: ".").last ?? "") }

        private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

        private mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
        }
    }
}

extension Loyalty_V1_TransactionEnvelope {
    /// Strict proto3 JSON of an envelope: `StrictJSON`'s checks, then SwiftProtobuf with
    /// unknown fields refused (naming the field); anything else malformed is `body`. The
    /// everyday shape takes `EnvelopeJSONFastPath` (same envelope, several times faster);
    /// `fastPath: false` is the reference alone, for the tests that compare the two.
    public init(strictJSON bytes: [UInt8], fastPath: Bool = true) throws(WireError) {
        if fastPath, let envelope = EnvelopeJSONFastPath.decode(bytes) {
            self = envelope
            return
        }
        try StrictJSON.check(bytes)
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        do {
            self = try Loyalty_V1_TransactionEnvelope(jsonUTF8Bytes: bytes, options: options)
        } catch JSONDecodingError.unknownField(let name) {
            throw WireError(field: name, reason: "unknown field")
        } catch {
            throw WireError(field: "body", reason: "malformed JSON for loyalty.v1.TransactionEnvelope (\(error))")
        }
    }
}
