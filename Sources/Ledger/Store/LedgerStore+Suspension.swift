import Programme
import SQLite

// Suspended partners (issue 14, deposits in refuse mode): the set the last sealing barrier
// listed, in suspended_partners (migration 15), so restarts and replays agree.
extension LedgerStore {
    /// The cycle of the barrier that suspended `partnerId`'s accruals; nil when it is not
    /// suspended. The set is read once per batch.
    func accrualSuspension(partnerId: String) throws(LedgerError) -> Int64? {
        if let suspended = state.suspended { return suspended[partnerId] }
        let s = try db.prepare("SELECT partner_id, cycle FROM suspended_partners")
        defer { s.reset() }
        var suspended: [String: Int64] = [:]
        while try s.step() { suspended[s.text(0)] = s.int64(1) }
        state.suspended = suspended
        return suspended[partnerId]
    }

    /// The set a sealing barrier of `cycle` lists replaces the last one (an empty list lifts
    /// every suspension), folded into the open cycle's digest.
    func replaceSuspended(_ partnerIds: [String], cycle: Int64) throws(LedgerError) {
        let ids = Set(partnerIds).sorted()
        let previous = try db.prepare("SELECT COUNT(*) FROM suspended_partners")
        let had = try previous.step() && previous.int64(0) > 0
        previous.reset()
        guard had || !ids.isEmpty else { return }
        try db.execute("DELETE FROM suspended_partners")
        let insert = try db.prepare("INSERT INTO suspended_partners (partner_id, cycle) VALUES (?, ?)")
        for id in ids { try insert.bind(.text(id), .integer(cycle)).run() }
        state.suspended = Dictionary(uniqueKeysWithValues: ids.map { ($0, cycle) })
        absorbIntoOpenDigest("suspended", Array((String(cycle) + " " + ids.joined(separator: " ")).utf8))
    }
}
