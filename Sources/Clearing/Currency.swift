import Basics

/// The settlement currency: ISO 4217 alphabetic code and its minor-unit exponent
/// (EUR 2, JPY 0, KWD 3).
public struct Currency: Sendable, Hashable {
    public var code: String
    public var minorUnitExponent: Int

    /// Exponents above this are not ISO 4217 currencies; the bound keeps 10^exponent in Int64.
    public static let maximumExponent = MinorUnits.maximumExponent

    public init(code: String, minorUnitExponent: Int) {
        self.code = code
        self.minorUnitExponent = minorUnitExponent
    }

    func validate() throws(ClearingError) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
        else {
            throw ClearingError(
                .invalidInput, "currency code must be three upper-case ISO 4217 letters such as EUR",
                location: "currency.code", found: code)
        }
        guard (0...Self.maximumExponent).contains(minorUnitExponent) else {
            throw ClearingError(
                .invalidInput, "minor-unit exponent must be 0...\(Self.maximumExponent) (EUR 2, JPY 0)",
                location: "currency.minor_unit_exponent", found: String(minorUnitExponent))
        }
    }
}
