/// A Bloom filter of the journal's idempotency keys `(partner_id, partner_txn_id)`.
/// Almost every transaction is new; "definitely not in the journal" lets it skip the
/// duplicate SELECT. A false positive only costs that SELECT, never a wrong answer, so
/// keys of a rolled-back batch may stay in it.
struct KeyFilter {
    private var words: [UInt64]
    private let bitMask: UInt64
    private(set) var count = 0
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

    mutating func insert(partnerId: String, partnerTxnId: String) {
        var (h, step) = Self.hashes(partnerId, partnerTxnId)
        for _ in 0..<Self.probes {
            let bit = h & bitMask
            words[Int(bit >> 6)] |= 1 << (bit & 63)
            h &+= step
        }
        count += 1
    }

    func mightContain(partnerId: String, partnerTxnId: String) -> Bool {
        var (h, step) = Self.hashes(partnerId, partnerTxnId)
        for _ in 0..<Self.probes {
            let bit = h & bitMask
            if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            h &+= step
        }
        return true
    }

    /// FNV-1a over both strings with a separator, then a SplitMix finaliser for the step.
    private static func hashes(_ a: String, _ b: String) -> (UInt64, UInt64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in a.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        h = (h ^ 0xff) &* 0x100_0000_01b3
        for byte in b.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var z = h &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (h, (z ^ (z >> 31)) | 1)
    }
}
