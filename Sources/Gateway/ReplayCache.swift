import Basics
import Synchronization

/// Signatures seen recently, per partner. An entry lives 2 × window from insertion: any
/// timestamp accepted at insertion is outside the window by then, so the timestamp check
/// alone refuses a replay.
///
/// Bounded per partner: when a partner's share is full of live entries, `insert` refuses
/// that partner (the caller answers 429) rather than forgetting a live signature, which
/// would let it be replayed. One partner filling its share never refuses another's
/// requests. The request quota bounds a partner's live entries to rate × 2 × window, so
/// with the defaults a partner within its quota never fills its share.
final class ReplayCache: Sendable {
    enum Outcome { case fresh, replay, full }

    /// A signature (HMAC-SHA256) as four words: 32 bytes a key, not a 64-character string.
    struct Signature: Hashable {
        let words: (UInt64, UInt64, UInt64, UInt64)

        init?(hex: String) {
            guard let bytes = Hex.bytes32(hex) else { return nil }
            func word(_ at: Int) -> UInt64 { bytes[at..<(at + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
            words = (word(0), word(8), word(16), word(24))
        }

        static func == (a: Signature, b: Signature) -> Bool {
            a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }

    private struct Partner {
        var seen: [Signature: Int64] = [:]
        var order: [(signature: Signature, expiresAt: Int64)] = []
        var head = 0

        mutating func expire(nowMilliseconds: Int64) {
            while head < order.count, order[head].expiresAt <= nowMilliseconds {
                seen[order[head].signature] = nil
                head += 1
            }
            if head > 4096, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }

    private let partners = Mutex<[String: Partner]>([:])
    private let lifetimeMilliseconds: Int64
    /// Live signatures one partner may have.
    let capacityPerPartner: Int

    init(windowMilliseconds: Int64, capacityPerPartner: Int) {
        lifetimeMilliseconds = 2 * windowMilliseconds
        self.capacityPerPartner = max(1, capacityPerPartner)
    }

    /// `signatureHex`: 64 lower-case hex digits (the authenticator checked it); anything
    /// else is a replay, never an entry.
    func insert(_ signatureHex: String, partner: String, nowMilliseconds: Int64) -> Outcome {
        guard let signature = Signature(hex: signatureHex) else { return .replay }
        return partners.withLock { all in
            var state = all.removeValue(forKey: partner) ?? Partner()
            defer { all[partner] = state }
            state.expire(nowMilliseconds: nowMilliseconds)
            if state.seen[signature] != nil { return .replay }
            if state.seen.count >= capacityPerPartner { return .full }
            let expiresAt = nowMilliseconds &+ lifetimeMilliseconds
            state.seen[signature] = expiresAt
            state.order.append((signature, expiresAt))
            return .fresh
        }
    }

    /// Live entries of `partner` (tests).
    func count(partner: String) -> Int { partners.withLock { $0[partner]?.seen.count ?? 0 } }
}
