import Programme

/// How much sealed history a shard still holds in its hot tables, and whether the archives
/// keep pace (the worker's `loyalty_worker_hot_cycles` and `loyalty_worker_archive_overdue_cycles`,
/// docs/operations.md, "Archives").
public struct HotHistory: Sendable, Equatable {
    /// A sealed cycle still in the hot tables.
    public struct Cycle: Sendable, Equatable {
        public var cycle: Int64
        public var closedAtMilliseconds: Int64
        /// The later of its close time and the latest event or partner time its rows carry
        /// (`cycle_times`): the cycle is archived once this is past the archive age.
        public var archiveTimeMilliseconds: Int64
        /// "partner_id/partner_txn_id" of a journal row carrying that time as its event
        /// time, when cycles are overdue (nil otherwise, or when the time is a gateway
        /// record's partner time, which the journal does not keep).
        public var heldBy: String?
    }

    /// Sealed cycles whose rows are still in the hot tables. With the programme's horizon
    /// and window set this stays about flat (the archive age in cycles, plus one or two);
    /// without them nothing is archived and it grows by one a cycle.
    public var cycles: Int
    /// Of those, the cycles the newest barrier's archive step would have taken by their
    /// close time alone (closed more than the archive age before the previous close) and
    /// did not: the oldest is held by a row dated after its close, and the rest wait behind
    /// it (archives take cycles in order). 0 in a shard whose archives keep pace.
    public var overdueCycles: Int
    /// The oldest sealed cycle still hot; nil when none is.
    public var oldest: Cycle?
    /// The programme's archive age (the longer of the horizon and the window); nil: the
    /// programme archives nothing.
    public var archiveAgeMilliseconds: Int64?
}

extension Shard {
    /// The shortest idempotency horizon and reversal window, in days, the shard has
    /// archived under (`archive_limits`): a worker's programme file may not be longer.
    /// nil before its first archive (or when it archived only before 2026-12-04).
    public func archiveLimits() throws(LedgerError) -> (horizonDays: Int, reversalDays: Int)? {
        try store.archiveLimits()
    }

    /// The sealed history still hot (`HotHistory`), under the programme in force. Reads the
    /// cycle rows after the last archive: a few hundred, at most one per cycle.
    public func hotHistory() throws(LedgerError) -> HotHistory {
        let hot = try store.hotCycles(after: try store.archivedThrough())
        let age = programme.archiveAgeMilliseconds
        var overdue = 0
        if let age, let previous = try store.previousCloseTime() {
            let (cutoff, overflow) = previous.subtractingReportingOverflow(age)
            if !overflow { overdue = hot.count { $0.closedAt < cutoff } }
        }
        var oldest = hot.first.map { HotHistory.Cycle(cycle: $0.cycle, closedAtMilliseconds: $0.closedAt, archiveTimeMilliseconds: $0.archiveTime) }
        if overdue > 0, let cycle = oldest, let row = try store.journalRow(ofCycle: cycle.cycle, eventTime: cycle.archiveTimeMilliseconds) {
            oldest?.heldBy = row.partnerId + "/" + row.partnerTxnId
        }
        return HotHistory(cycles: hot.count, overdueCycles: overdue, oldest: oldest, archiveAgeMilliseconds: age)
    }
}
