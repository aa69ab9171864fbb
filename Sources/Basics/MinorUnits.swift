/// Decimal text for Int64 minor units, with integer arithmetic only (never Double): the
/// settlement files' amounts and the CLI's tables are the same digits.
public enum MinorUnits {
    /// Exponents above this are not ISO 4217 currencies; the bound keeps 10^exponent in Int64.
    public static let maximumExponent = 4

    /// `12345` with exponent 2 → `"123.45"`; exponent 0 → `"12345"`; `-5`, 2 → `"-0.05"`.
    /// `grouped` puts a comma between thousands of the whole part (`"1,234.56"`), for people.
    public static func format(_ amountMinor: Int64, exponent: Int, grouped: Bool = false) -> String {
        precondition((0...maximumExponent).contains(exponent), "exponent out of range")
        let magnitude = amountMinor.magnitude
        let sign = amountMinor < 0 ? "-" : ""
        let scale = power(exponent)
        let whole = grouped ? groupThousands(String(magnitude / scale)) : String(magnitude / scale)
        guard exponent > 0 else { return sign + whole }
        let fraction = String(magnitude % scale)
        let padded = String(repeating: "0", count: exponent - fraction.count) + fraction
        return sign + whole + "." + padded
    }

    /// Inverse of `format` (ungrouped): exactly `exponent` fraction digits (none for
    /// exponent 0). Nil for anything else or for values outside Int64.
    public static func parse(_ text: String, exponent: Int) -> Int64? {
        guard (0...maximumExponent).contains(exponent) else { return nil }
        var bytes = Substring(text).utf8[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard let wholeBytes = parts.first, !wholeBytes.isEmpty else { return nil }
        guard exponent == 0 ? parts.count == 1 : (parts.count == 2 && parts[1].count == exponent) else { return nil }
        var magnitude: Int64 = 0
        for byte in wholeBytes + (parts.count == 2 ? Array(parts[1]) : []) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
        }
        return negative ? -magnitude : magnitude
    }

    /// 10^exponent.
    public static func power(_ exponent: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// "1234567" → "1,234,567".
    private static func groupThousands(_ digits: String) -> String {
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}
