import Basics
import Foundation
import Programme

/// Random valid transactions: ids over the whole id alphabet (visible ASCII, up to the
/// 128-byte limit), categories with spaces, amounts over the whole 1...10^12 range. Seeded
/// (SplitMix64), so a failing case is reproduced from its seed.
public struct RandomTransactions {
    public static let maxAmount: Int64 = FieldLimits.maxAmount
    /// Every byte FieldLimits allows in an id: 0x21...0x7E.
    public static let characters: [Character] = (0x21...0x7E).map { Character(UnicodeScalar(UInt8($0))) }

    public var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    public mutating func id(maxBytes: Int = FieldLimits.maxIdBytes) -> String {
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

    public mutating func amount() -> Int64 {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: return 1
        case 1: return Self.maxAmount
        case 2: return Int64.random(in: 1...10_000, using: &generator)
        default: return Int64.random(in: 1...Self.maxAmount, using: &generator)
        }
    }

    public mutating func currency() -> String {
        String((0..<3).map { _ in Character(UnicodeScalar(UInt8.random(in: 65...90, using: &generator))) })
    }

    public mutating func transaction() -> Transaction {
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
