/// Lower-case hex digits, shared by the encoders below (inlinable: the gateway encodes every
/// request id and signature with them).
@usableFromInline let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Lower-case hex of bytes whose count is known: one allocation, the string's own.
@inlinable
public func hexString<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
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

/// Lower-case hex of any byte sequence (digests and MACs are sequences, not collections).
@inlinable
public func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Compares two strings in time independent of where they differ (signatures).
public func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}

/// Reading hex back: keys and signatures in settlement files, request signatures and
/// replay-cache keys at the gateway.
public enum Hex {
    /// The bytes of an even number of hex digits (either case), nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = value(of: chars[index]), let low = value(of: chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// The value of one hex digit of either case, nil for any other byte.
    public static func value(of char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// 0-9 or a-f.
    public static func isLowercaseDigit(_ byte: UInt8) -> Bool { (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) }

    /// The 32 bytes of 64 lower-case hex digits, nil for anything else.
    public static func bytes32(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64, digits.allSatisfy(isLowercaseDigit) else { return nil }
        func value(_ d: UInt8) -> UInt8 { d <= 57 ? d - 48 : d - 87 }
        return (0..<32).map { value(digits[2 * $0]) << 4 | value(digits[2 * $0 + 1]) }
    }
}
