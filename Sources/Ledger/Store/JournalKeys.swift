/// The hot journal's idempotency keys `(partner_id, partner_txn_id)`, each with the
/// offset of its journal row. The journal is stored in offset order (an append per
/// transaction, a contiguous delete per archive), so the duplicate check and a
/// reversal's search for its original find the row through this map: no B-tree keyed by
/// the idempotency key is written at random on every transaction.
///
/// A key is held under a 64-bit hash of it; the rare key whose hash is already held for
/// another offset goes into `colliding` under the key itself. An answer is only a
/// candidate: the caller reads the row at that offset and compares its key, so an entry
/// left behind by a rolled-back batch costs a read, never a wrong answer. Removals (rows
/// archived) are applied only once their batch commits (`LedgerStore.commit`).
///
/// Memory follows the hot journal (about 40 bytes a key), which the idempotency horizon
/// bounds; rebuilt from the journal when the shard is opened or written elsewhere.
struct JournalKeys {
    struct Key: Hashable {
        var partnerId: String
        var partnerTxnId: String
    }

    private var offsets: [UInt64: Int64] = [:]
    private var colliding: [Key: Int64] = [:]

    init(capacity: Int = 0) {
        offsets.reserveCapacity(capacity)
    }

    var count: Int { offsets.count + colliding.count }

    /// Records that `key` (hashed `hash`) is journaled at `offset`.
    mutating func insert(_ hash: UInt64, _ key: @autoclosure () -> Key, offset: Int64) {
        if let held = offsets[hash], held != offset {
            colliding[key()] = offset
        } else {
            offsets[hash] = offset
        }
    }

    /// The offset where `key` may be journaled: nil means it is not.
    func candidate(_ hash: UInt64, _ key: @autoclosure () -> Key) -> Int64? {
        if !colliding.isEmpty, let offset = colliding[key()] { return offset }
        return offsets[hash]
    }

    /// Forgets `key` journaled at `offset` (its row was archived).
    mutating func remove(_ hash: UInt64, _ key: Key, offset: Int64) {
        if !colliding.isEmpty, colliding[key] == offset {
            colliding[key] = nil
        } else if offsets[hash] == offset {
            offsets[hash] = nil
        }
    }

    /// FNV-1a over both strings with a separator, then a SplitMix finaliser.
    static func hash(partnerId: String, partnerTxnId: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            var text = text
            text.withUTF8 { bytes in
                for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
        }
        mix(partnerId)
        h = (h ^ 0xff) &* 0x100_0000_01b3
        mix(partnerTxnId)
        var z = h &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
