import Crypto
import SQLite

extension LedgerStore {
    /// SHA-256 (hex) of a canonical dump of every table, rows in primary-key order, values
    /// typed and length-prefixed: two files have equal digests iff they hold equal ledgers.
    /// O(history): the explicit verify (`loyalty ledger verify`), never a barrier's.
    func digest() throws(LedgerError) -> String {
        var out = CanonicalHasher()
        for table in Schema.digestTables {
            out.tag("T")
            out.append(table.name)
            try out.appendRows(db.prepareDynamic("SELECT \(table.columns) FROM \(table.name) ORDER BY \(table.orderBy)"))
        }
        return out.finalize()
    }

    /// Domain tag of the chained seal digest: a new encoding gets a new tag.
    static let chainTag = "loyalty.ledger.chain.v1"

    /// The digest a seal of `seal.cycle` stores: SHA-256 of the domain tag, the previous
    /// sealed cycle's stored digest ('' for the first), the open cycle's running hash, and
    /// the seal's own rows (the cycles row but its digest, the cycle's debts and partner
    /// statistics, the shard row but its running hash). Called after the seal moved the
    /// open cycle's debts and statistics to `seal.cycle` and updated the shard row: reads
    /// O(cycle) rows, whatever the history.
    func chainedDigest(_ seal: LedgerRules.CycleSeal, previous: String, running: [UInt8]) throws(LedgerError) -> String {
        var out = CanonicalHasher()
        out.append(Self.chainTag)
        out.append(previous)
        out.append(ChainHasher.hex(running))
        out.tag("C")
        for value in [
            seal.cycle, seal.offsets.lowerBound, seal.offsets.upperBound, seal.closedAtMilliseconds, seal.counts.accepted,
            seal.counts.rejected, seal.counts.duplicates, seal.counts.deadLetters,
        ] { out.append(value) }
        out.tag("D")
        try out.appendRows(
            db.prepare("SELECT payer, payee, amount_minor FROM debts WHERE cycle = ? ORDER BY payer, payee").bind(.integer(seal.cycle)))
        out.tag("P")
        try out.appendRows(
            db.prepare(
                "SELECT partner_id, issued, redeemed, expired, clawed_back, fees_minor FROM partner_stats WHERE cycle = ? ORDER BY partner_id"
            ).bind(.integer(seal.cycle)))
        out.tag("S")
        try out.appendRows(
            db.prepare(
                """
                SELECT id, partition, next_offset, last_sealed_cycle, open_first_offset, open_accepted, open_rejected, open_duplicates,
                open_dead_letters, chain_since_offset FROM shard
                """))
        return out.finalize()
    }

    /// The stored digest of the last sealed cycle ('' before the first seal).
    func lastSealedDigest() throws(LedgerError) -> String {
        let s = try db.prepare("SELECT c.ledger_digest FROM shard s JOIN cycles c ON c.cycle = s.last_sealed_cycle WHERE s.id = 1")
        defer { s.reset() }
        return try s.step() ? s.text(0) : ""
    }
}

/// SHA-256 over a canonical, typed, length-prefixed encoding of values and rows, through a
/// buffer: the full digest and a seal's use the same encoding.
struct CanonicalHasher {
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func tag(_ letter: Unicode.Scalar) { buffer.append(UInt8(ascii: letter)) }

    mutating func append(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        let bytes = Array(text.utf8)
        append(Int64(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    /// Every row `s` yields ("R", then each value typed), then resets it.
    mutating func appendRows(_ s: SQLiteStatement) throws(LedgerError) {
        defer { s.reset() }
        let columns = s.columnCount
        while try s.step() {
            tag("R")
            for column in 0..<columns {
                switch s.value(column) {
                case .integer(let v):
                    tag("i")
                    append(v)
                case .text(let v):
                    tag("t")
                    append(v)
                case .null:
                    tag("n")
                }
            }
            if buffer.count >= 1 << 16 { flush() }
        }
    }

    private mutating func flush() {
        buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The digest in hex.
    mutating func finalize() -> String {
        flush()
        return ChainHasher.hex(hasher.finalize())
    }
}
