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
