import Foundation

/// RFC 4180 fields: quoted only when they hold a comma, quote, CR or LF. Lines end in LF.
package enum CSV {
    package static func field(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    package static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// Splits one line (without its LF). Nil for an unterminated quote or junk after one.
    package static func split(_ line: Substring) -> [String]? {
        var fields: [String] = []
        var current: [UInt8] = []
        var inQuotes = false
        var afterQuote = false
        for byte in line.utf8 {
            if inQuotes {
                if byte == 34 { inQuotes = false; afterQuote = true } else { current.append(byte) }
                continue
            }
            switch byte {
            case 44:
                fields.append(String(decoding: current, as: UTF8.self))
                current = []
                afterQuote = false
            case 34:
                if afterQuote { current.append(34) } else if !current.isEmpty { return nil }
                inQuotes = true
                afterQuote = false
            default:
                if afterQuote { return nil }
                current.append(byte)
            }
        }
        guard !inQuotes else { return nil }
        fields.append(String(decoding: current, as: UTF8.self))
        return fields
    }
}
