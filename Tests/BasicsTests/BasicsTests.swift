import Basics
import Testing

@Suite("Shared helpers: hex, the seeded generator, money text")
struct BasicsTests {
    @Test func hexRoundTripsAndRefusesNonHex() {
        let bytes: [UInt8] = [0x00, 0x0f, 0xa5, 0xff]
        #expect(hexString(bytes) == "000fa5ff")
        #expect(hexString(AnySequence(bytes)) == "000fa5ff")
        #expect(hexString(bytes[1...2]) == "0fa5")
        #expect(Hex.decode("000FA5ff") == bytes)
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.value(of: UInt8(ascii: "g")) == nil)
    }

    @Test func bytes32TakesExactlySixtyFourLowerCaseDigits() {
        let text = String(repeating: "ab", count: 32)
        #expect(Hex.bytes32(text) == Array(repeating: 0xab, count: 32))
        #expect(Hex.bytes32(text.uppercased()) == nil)
        #expect(Hex.bytes32(String(text.dropLast(2))) == nil)
        #expect(Hex.isLowercaseDigit(UInt8(ascii: "f")) && !Hex.isLowercaseDigit(UInt8(ascii: "F")))
    }

    @Test func constantTimeEqualComparesWholeStrings() {
        #expect(constantTimeEqual("abc", "abc"))
        #expect(!constantTimeEqual("abc", "abd"))
        #expect(!constantTimeEqual("abc", "abcd"))
    }

    /// The published SplitMix64 sequence for seed 0: every copy the project used gave these,
    /// so seeded workloads and digests stay what they were.
    @Test func splitMix64IsTheReferenceSequence() {
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(random.next() == 0x06C4_5D18_8009_454F)
        var bounded = SplitMix64(seed: 7)
        #expect((0..<1000).allSatisfy { _ in (0..<10).contains(bounded.below(10)) })
    }

    @Test func minorUnitsFormatAndParse() {
        #expect(MinorUnits.format(12345, exponent: 2) == "123.45")
        #expect(MinorUnits.format(5, exponent: 2) == "0.05")
        #expect(MinorUnits.format(-5, exponent: 3) == "-0.005")
        #expect(MinorUnits.format(700, exponent: 0) == "700")
        #expect(MinorUnits.format(.max, exponent: 2) == "92233720368547758.07")
        #expect(MinorUnits.format(.min, exponent: 2) == "-92233720368547758.08")
        #expect(MinorUnits.parse("92233720368547758.07", exponent: 2) == .max)
        #expect(MinorUnits.parse("1.5", exponent: 2) == nil)
        #expect(MinorUnits.parse("0.05", exponent: 2) == 5)
    }

    /// The CLI's tables: thousands grouped, same digits as the settlement files.
    @Test func groupedMoneyForPeople() {
        #expect(MinorUnits.format(123_456, exponent: 2, grouped: true) == "1,234.56")
        #expect(MinorUnits.format(-1_234_567, exponent: 0, grouped: true) == "-1,234,567")
        #expect(MinorUnits.format(999, exponent: 0, grouped: true) == "999")
        #expect(MinorUnits.format(-5, exponent: 2, grouped: true) == "-0.05")
        #expect(MinorUnits.format(.min, exponent: 0, grouped: true) == "-9,223,372,036,854,775,808")
    }
}
