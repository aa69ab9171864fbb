import SQLite

/// What `loyalty ledger verify` reports of one shard: its full digest, where its digest
/// chain stands, and what it found wrong with what can be checked without the log.
public struct ShardVerification: Sendable, Equatable {
    public var partition: Int32
    public var nextOffset: Int64
    /// `Shard.digest()`: every table, O(history).
    public var fullDigest: String
    /// -1 before the first seal.
    public var lastSealedCycle: Int64
    /// The last sealed cycle's stored (chained) digest; '' before the first seal.
    public var lastSealedDigest: String
    /// The open cycle's running hash (hex); '' when nothing was folded since the last seal.
    public var openHash: String
    /// The first offset the chain covers: 0, or where a file from before chained digests
    /// started its chain (its cycles sealed before hold full-table digests).
    public var chainSinceOffset: Int64
    public var sealedCycles: Int
    /// Empty when every check passed.
    public var problems: [String]
}

extension LedgerStore {
    /// The checks of `ShardVerification` (reads every cycle row, every table for the full
    /// digest, and SQLite's quick_check): O(history), for the operator's verify only.
    func verify() throws(LedgerError) -> ShardVerification {
        let row = try readShardRow()
        let (openHash, chainSince) = try chainRow()
        var result = ShardVerification(
            partition: partition, nextOffset: row.nextOffset, fullDigest: try digest(), lastSealedCycle: row.lastSealedCycle,
            lastSealedDigest: try lastSealedDigest(), openHash: openHash, chainSinceOffset: chainSince, sealedCycles: 0, problems: [])
        result.problems += try checkCycles(row, chainSince: chainSince, into: &result.sealedCycles)
        if !openHash.isEmpty && !Self.isDigest(openHash) {
            result.problems.append("shard.open_hash \"\(openHash)\" is not a SHA-256 in hex")
        }
        if row.openFirstOffset > row.nextOffset {
            result.problems.append("shard.open_first_offset \(row.openFirstOffset) is past next_offset \(row.nextOffset)")
        }
        let orphans = try db.prepare(
            """
            SELECT cycle FROM (SELECT DISTINCT cycle FROM debts UNION SELECT DISTINCT cycle FROM partner_stats)
            WHERE cycle != -1 AND cycle NOT IN (SELECT cycle FROM cycles) ORDER BY cycle
            """)
        defer { orphans.reset() }
        while try orphans.step() { result.problems.append("debts or partner_stats of cycle \(orphans.int64(0)), which has no cycles row") }
        let check = try db.prepare("PRAGMA quick_check")
        defer { check.reset() }
        while try check.step() {
            let line = check.text(0)
            if line != "ok" { result.problems.append("sqlite quick_check: \(line)") }
        }
        return result
    }

    /// The shard row's chain columns: the open cycle's running hash and where the chain starts.
    func chainRow() throws(LedgerError) -> (openHash: String, chainSinceOffset: Int64) {
        let s = try db.prepare("SELECT open_hash, chain_since_offset FROM shard WHERE id = 1")
        defer { s.reset() }
        guard try s.step() else { throw LedgerError(.schema, "shard record missing in \(db.path)") }
        return (s.text(0), s.int64(1))
    }

    /// Every cycles row in order: offsets contiguous from cycle to cycle, digests present,
    /// the shard row's last sealed cycle and open cycle following the last row.
    private func checkCycles(_ row: ShardRow, chainSince: Int64, into count: inout Int) throws(LedgerError) -> [String] {
        var problems: [String] = []
        let s = try db.prepare("SELECT cycle, first_offset, barrier_offset, ledger_digest FROM cycles ORDER BY cycle")
        defer { s.reset() }
        var last: (cycle: Int64, barrier: Int64)?
        while try s.step() {
            let (cycle, first, barrier, digest) = (s.int64(0), s.int64(1), s.int64(2), s.text(3))
            count += 1
            if !Self.isDigest(digest) { problems.append("cycle \(cycle): ledger_digest \"\(digest)\" is not a SHA-256 in hex") }
            if first > barrier { problems.append("cycle \(cycle): first offset \(first) is past its barrier \(barrier)") }
            if let last, first != last.barrier + 1 {
                problems.append("cycle \(cycle) starts at offset \(first), not right after cycle \(last.cycle)'s barrier \(last.barrier)")
            }
            last = (cycle, barrier)
        }
        if let last {
            if row.lastSealedCycle != last.cycle {
                problems.append("shard.last_sealed_cycle is \(row.lastSealedCycle) but the last cycles row is \(last.cycle)")
            }
            if row.openFirstOffset != last.barrier + 1 {
                problems.append("the open cycle starts at \(row.openFirstOffset), not right after cycle \(last.cycle)'s barrier \(last.barrier)")
            }
        } else if row.lastSealedCycle != -1 {
            problems.append("shard.last_sealed_cycle is \(row.lastSealedCycle) but there is no cycles row")
        }
        if chainSince > row.nextOffset { problems.append("shard.chain_since_offset \(chainSince) is past next_offset \(row.nextOffset)") }
        return problems
    }

    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
