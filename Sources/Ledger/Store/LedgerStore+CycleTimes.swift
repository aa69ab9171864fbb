import SQLite

/// `cycle_times` (migration 22): the latest time each hot cycle's journaled rows carry,
/// which holds the cycle out of the archives until it is past the archive age like its
/// close time (LedgerRules+Horizon). One row per cycle, written once per batch.
extension LedgerStore {
    /// A journaled row's `LedgerRules.archiveTime`, kept until the flush.
    func noteArchiveTime(_ time: Int64) {
        if let latest = state.latestTime, latest >= time { return }
        state.latestTime = time
    }

    /// Raises the open cycle's latest time to the batch's.
    func flushCycleTimes() throws(LedgerError) {
        guard let latest = state.latestTime else { return }
        try db.prepare(
            "INSERT INTO cycle_times (cycle, latest_time) VALUES (?, ?) ON CONFLICT (cycle) DO UPDATE SET latest_time = MAX(latest_time, excluded.latest_time)"
        ).bind(.integer(Schema.openCycle), .integer(latest)).run()
        state.latestTime = nil
    }

    /// The open cycle's row becomes `cycle`'s.
    func sealCycleTimes(cycle: Int64) throws(LedgerError) {
        try db.prepare("UPDATE cycle_times SET cycle = ? WHERE cycle = ?").bind(.integer(cycle), .integer(Schema.openCycle)).run()
    }

    /// Drops the rows of the cycles an archive took (barriers at or below `lastOffset`):
    /// no plan reads them again.
    func dropCycleTimes(archivedThrough lastOffset: Int64) throws(LedgerError) {
        try db.prepare(
            "DELETE FROM cycle_times WHERE cycle >= 0 AND cycle IN (SELECT cycle FROM cycles WHERE barrier_offset <= ?)"
        ).bind(.integer(lastOffset)).run()
    }
}

extension LedgerStore {
    /// The sealed cycles still in the hot tables (barrier after `archivedThrough`, the
    /// archives' last offset), oldest first: number, barrier offset, close time, and the
    /// later of that and the latest time its rows carry (what the archive step compares).
    func hotCycles(after archivedThrough: Int64) throws(LedgerError) -> [(cycle: Int64, barrier: Int64, closedAt: Int64, archiveTime: Int64)] {
        let s = try db.prepare(
            """
            SELECT c.cycle, c.barrier_offset, c.closed_at, MAX(c.closed_at, COALESCE(t.latest_time, c.closed_at)) FROM cycles c
            LEFT JOIN cycle_times t ON t.cycle = c.cycle WHERE c.barrier_offset > ? ORDER BY c.barrier_offset
            """)
        defer { s.reset() }
        s.bindInteger(1, archivedThrough)
        var cycles: [(cycle: Int64, barrier: Int64, closedAt: Int64, archiveTime: Int64)] = []
        while try s.step() { cycles.append((s.int64(0), s.int64(1), s.int64(2), s.int64(3))) }
        return cycles
    }

    /// The close time of the cycle sealed before the newest: the archive step of the newest
    /// barrier counted its age from it (`archivePlan`); nil before the second seal.
    func previousCloseTime() throws(LedgerError) -> Int64? {
        let s = try db.prepare("SELECT closed_at FROM cycles ORDER BY cycle DESC LIMIT 1 OFFSET 1")
        defer { s.reset() }
        return try s.step() ? s.int64(0) : nil
    }

    /// The partner and transaction id of a journal row of `cycle` whose event time is
    /// `time` (nil: none, e.g. the time was a gateway record's partner time).
    func journalRow(ofCycle cycle: Int64, eventTime time: Int64) throws(LedgerError) -> (partnerId: String, partnerTxnId: String)? {
        let s = try db.prepare(
            """
            SELECT j.partner_id, j.partner_txn_id FROM cycles c JOIN journal j ON j.offset BETWEEN c.first_offset AND c.barrier_offset
            WHERE c.cycle = ? AND j.event_time = ? ORDER BY j.offset LIMIT 1
            """)
        defer { s.reset() }
        s.bindInteger(1, cycle)
        s.bindInteger(2, time)
        return try s.step() ? (s.text(0), s.text(1)) : nil
    }
}
