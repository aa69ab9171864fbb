import Crypto

/// The open cycle's running hash: everything an entry changed, in a canonical, typed,
/// length-prefixed encoding, folded entry by entry in offset order:
/// `running = SHA-256(running ‖ the entry's bytes)` (`running` is empty at a cycle's
/// start). The pieces of one entry (its effects, its journal row, what an archive step
/// adds at its barrier) gather in one reused buffer and are folded when the next entry's
/// first piece comes or before anything reads `running`. Batches hold whole entries, so
/// the result never depends on batch boundaries.
struct ChainHasher {
    /// 32 bytes, or empty at the start of a cycle (and of a file's chain).
    private(set) var running: [UInt8] = []
    /// The entry being gathered (its offset is `pendingOffset`).
    private var pending: [UInt8] = []
    private var pendingOffset: Int64 = .min

    init() { pending.reserveCapacity(1024) }

    /// Starts over from a stored running hash (hex, as the shard row keeps it).
    mutating func restart(fromHex hex: String) {
        running = Self.bytes(fromHex: hex)
        pending.removeAll(keepingCapacity: true)
        pendingOffset = .min
    }

    /// Starts a piece of the entry at `offset` with a one-byte `tag`: a piece of another
    /// entry than the pending one folds that one first.
    mutating func piece(_ tag: UInt8, offset: Int64) {
        if offset != pendingOffset {
            fold()
            pendingOffset = offset
            integer(offset)
        }
        pending.append(tag)
    }

    /// A piece without an entry of its own (e.g. an archive step at a barrier): it joins
    /// the entry being gathered.
    mutating func piece(_ tag: String, _ bytes: [UInt8]) {
        pending.append(UInt8(ascii: "X"))
        text(tag)
        integer(Int64(bytes.count))
        pending.append(contentsOf: bytes)
    }

    /// Folds the pending entry into `running`.
    mutating func fold() {
        guard !pending.isEmpty else { return }
        var hasher = SHA256()
        hasher.update(data: running)
        pending.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        if running.count == 32 {
            // In place: no new array per entry.
            running.withUnsafeMutableBytes { target in digest.withUnsafeBytes { target.copyMemory(from: $0) } }
        } else {
            running = Array(digest)
        }
        pending.removeAll(keepingCapacity: true)
        pendingOffset = .min
    }

    /// The open cycle's hash with everything folded (hex, '' when nothing was).
    mutating func hex() -> String {
        fold()
        return Self.hex(running)
    }

    /// The open cycle's hash with everything folded, for its seal; the next cycle's
    /// starts empty.
    mutating func sealed() -> [UInt8] {
        fold()
        defer { running.removeAll(keepingCapacity: true) }
        return Array(running)
    }

    // MARK: Encoding: typed and length-prefixed, so no two value sequences encode alike

    mutating func integer(_ value: Int64) {
        pending.append(UInt8(ascii: "i"))
        withUnsafeBytes(of: value.bigEndian) { pending.append(contentsOf: $0) }
    }

    /// Several integers without an array (a parameter pack: nothing allocated).
    mutating func integers<each V: FixedWidthInteger>(_ values: repeat each V) {
        for value in repeat each values { integer(Int64(value)) }
    }

    /// A count, then each item as `item` encodes it.
    mutating func list<T>(_ items: [T], _ item: (inout ChainHasher, T) -> Void) {
        integer(Int64(items.count))
        for element in items { item(&self, element) }
    }

    mutating func portion(_ portion: Portion) {
        integer(portion.lotId)
        text(portion.issuer)
        integer(portion.points)
    }

    mutating func optional(_ value: Int64?) {
        if let value { integer(value) } else { pending.append(UInt8(ascii: "n")) }
    }

    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            pending.append(UInt8(ascii: "t"))
            withUnsafeBytes(of: Int64(utf8.count).bigEndian) { pending.append(contentsOf: $0) }
            pending.append(contentsOf: utf8)
        }
    }

    mutating func optional(_ value: String?) {
        if let value { text(value) } else { pending.append(UInt8(ascii: "n")) }
    }

    // MARK: Hex

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hex string (lower or upper case); a malformed one gives what parsed.
    static func bytes(fromHex hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let nibble: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
            default: continue
            }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }
}
