import Programme
import SQLite

extension Shard {
    /// How many journaled transactions were rejected, by reason code (hot journal only:
    /// archived cycles are not counted). O(journal); for `loyalty dev`'s summary and the
    /// ledger tools, never the apply path.
    public func rejectionsByReason() throws(LedgerError) -> [String: Int64] {
        let s = try db.prepareDynamic(
            "SELECT reason, COUNT(*) FROM journal WHERE status = 'rejected' AND \(LedgerStore.hotOffsets) GROUP BY reason")
        defer { s.reset() }
        var counts: [String: Int64] = [:]
        while try s.step() { counts[s.text(0), default: 0] += s.int64(1) }
        return counts
    }
}
