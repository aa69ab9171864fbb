/// A Bloom filter of the journal's idempotency keys `(partner_id, partner_txn_id)`.
/// Almost every transaction is new; "definitely not in the journal" lets it skip the
/// duplicate SELECT. A false positive only costs that SELECT, never a wrong answer, so
/// keys of a rolled-back batch may stay in it.
struct KeyFilter {
    private var words: [UInt64]
    private let bitMask: UInt64
    private(set) var count = 0
    /// Keys archived out of the journal since the filter was built: they answer "maybe"
    /// for nothing. Once they are half of `count` the owner rebuilds the filter from the
    /// hot journal, so its memory follows the hot journal, not history.
    private(set) var removed = 0
    /// The batch (`BatchState`) of the last archive step that removed keys: the filter is
    /// not rebuilt twice in one batch (`LedgerStore.forgetArchivedKeys`).
    var lastArchivingBatch: ObjectIdentifier?
    /// Past this many keys the false-positive rate climbs; the owner rebuilds it bigger.
    let capacity: Int
    private static let probes = 4
    private static let bitsPerKey = 16

    init(capacity: Int) {
        var bits = 1 << 16
        while bits < capacity * Self.bitsPerKey { bits <<= 1 }
        words = Array(repeating: 0, count: bits / 64)
        bitMask = UInt64(bits - 1)
        self.capacity = bits / Self.bitsPerKey
    }

    var isFull: Bool { count >= capacity }

    var isMostlyRemoved: Bool { removed > 0 && 2 * removed >= count }

    mutating func noteRemoved(_ keys: Int) { removed += keys }

    /// A key's hash, computed once per transaction for both the lookup and the insert.
    struct Hash {
        var first: UInt64
        var step: UInt64
    }

    mutating func insert(_ key: Hash) {
        var h = key.first
        for _ in 0..<Self.probes {
            let bit = h & bitMask
            words[Int(bit >> 6)] |= 1 << (bit & 63)
            h &+= key.step
        }
        count += 1
    }

    func mightContain(_ key: Hash) -> Bool {
        var h = key.first
        for _ in 0..<Self.probes {
            let bit = h & bitMask
            if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            h &+= key.step
        }
        return true
    }

    static func hash(partnerId: String, partnerTxnId: String) -> Hash {
        let (h, step) = hashes(partnerId, partnerTxnId)
        return Hash(first: h, step: step)
    }

    /// FNV-1a over both strings with a separator, then a SplitMix finaliser for the step.
    private static func hashes(_ a: String, _ b: String) -> (UInt64, UInt64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            var text = text
            text.withUTF8 { bytes in
                for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
        }
        mix(a)
        h = (h ^ 0xff) &* 0x100_0000_01b3
        mix(b)
        var z = h &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (h, (z ^ (z >> 31)) | 1)
    }
}
