import Foundation
import Programme

/// SplitMix64: a seeded generator, so a failing case can be reproduced from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random valid transactions: ids over the whole id alphabet (visible ASCII, up to the
/// 128-byte limit), categories with spaces, amounts over the whole 1...10^12 range.
struct RandomTransactions {
    static let maxAmount: Int64 = FieldLimits.maxAmount
    /// Every byte FieldLimits allows in an id: 0x21...0x7E.
    static let characters: [Character] = (0x21...0x7E).map { Character(UnicodeScalar(UInt8($0))) }

    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func id(maxBytes: Int = FieldLimits.maxIdBytes) -> String {
        if Int.random(in: 0..<20, using: &generator) == 0 {
            // Exactly at the limit, to pin the boundary.
            return String(repeating: "m", count: maxBytes)
        }
        var result = ""
        let count = Int.random(in: 1...24, using: &generator)
        for _ in 0..<count {
            let character = Self.characters.randomElement(using: &generator)!
            if result.utf8.count + String(character).utf8.count > maxBytes { break }
            result.append(character)
        }
        return result.isEmpty ? "x" : result
    }

    mutating func amount() -> Int64 {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: return 1
        case 1: return Self.maxAmount
        case 2: return Int64.random(in: 1...10_000, using: &generator)
        default: return Int64.random(in: 1...Self.maxAmount, using: &generator)
        }
    }

    mutating func currency() -> String {
        String((0..<3).map { _ in Character(UnicodeScalar(UInt8.random(in: 65...90, using: &generator))) })
    }

    mutating func transaction() -> Transaction {
        let body: Transaction.Body
        switch Int.random(in: 0..<4, using: &generator) {
        case 0:
            let category = Bool.random(using: &generator) ? "" : id(maxBytes: FieldLimits.maxCategoryBytes).replacingOccurrences(of: "a", with: " ")
            body = .accrual(amountMinor: amount(), currency: currency(), category: category)
        case 1: body = .redemption(points: amount())
        case 2: body = .refund(originalPartnerTxnId: id(), amountMinor: amount(), currency: currency())
        default: body = .cancel(originalPartnerTxnId: id())
        }
        return Transaction(
            partnerId: id(maxBytes: 32), partnerTxnId: id(), memberId: id(),
            eventTimeMilliseconds: Int64.random(in: 1...4_102_444_800_000, using: &generator),
            body: body)
    }
}
