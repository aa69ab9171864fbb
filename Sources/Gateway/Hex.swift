private let hexDigits = Array("0123456789abcdef".utf8)

/// Lower-case hex of bytes.
func hexString<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    String(unsafeUninitializedCapacity: bytes.count * 2) { out in
        var index = 0
        for byte in bytes {
            out[index] = hexDigits[Int(byte >> 4)]
            out[index + 1] = hexDigits[Int(byte & 0x0f)]
            index += 2
        }
        return index
    }
}

/// Lower-case hex of bytes.
func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Compares two strings in time independent of where they differ (signatures).
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}

enum Hex {
    /// 0-9 or a-f.
    static func isLowercaseDigit(_ byte: UInt8) -> Bool { (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) }

    /// The 32 bytes of 64 lower-case hex digits, nil for anything else.
    static func bytes32(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64, digits.allSatisfy(isLowercaseDigit) else { return nil }
        func value(_ d: UInt8) -> UInt8 { d <= 57 ? d - 48 : d - 87 }
        return (0..<32).map { value(digits[2 * $0]) << 4 | value(digits[2 * $0 + 1]) }
    }
}
