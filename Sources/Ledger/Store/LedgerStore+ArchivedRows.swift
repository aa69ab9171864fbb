import SQLite

/// The rows an archive holds leave the hot tables after its barrier, not inside it
/// (docs/design.md, "Bounded hot state"): before the first entry after that barrier is
/// applied. Deleting ~5,000 lots at random places of the lots table, with the day's
/// portions and journal range, was most of a late barrier's COMMIT; the first batch of
/// the next cycle pays it instead, while the partition is not held at a barrier.
///
/// Where they are deleted is a function of the log alone: at offset `barrierOffset + 1`,
/// whatever the batches, so a replay, a restored snapshot and an undisturbed shard hold the
/// same rows after every entry. Between the barrier and that entry no rule reads them
/// (they are past the horizon and the window: frozen), the tools skip them
/// (`hotOffsets`), and the next archive cannot take their lots again (`ArchiveBuild`:
/// a lot is taken by a queue row of its own range).
struct ArchivedRowsLeft: Equatable {
    var plan: ArchivePlan
    /// The offset of the barrier that wrote the archive.
    var barrierOffset: Int64
    /// The lots to delete, when the barrier was applied in this process; nil after the
    /// file was opened: read again from the queue (the same set, the lots being frozen).
    var lotIds: [Int64]?
}

extension LedgerStore {
    /// SQL: "this row's offset is above every archived one": the hot rows the tools read
    /// (rows an archive holds may still be in the table until the entry after its barrier).
    static let hotOffsets = "offset > COALESCE((SELECT last_offset FROM archives ORDER BY cycle DESC LIMIT 1), -1)"

    /// The archive whose rows are still hot, as the file says (the batch's `begin`).
    func readArchivedRowsLeft() throws(LedgerError) -> ArchivedRowsLeft? {
        let s = try db.prepare(
            """
            SELECT a.cycle, a.first_offset, a.last_offset, r.barrier_offset, a.summary_rows
            FROM archived_rows_left r JOIN archives a ON a.cycle = r.cycle ORDER BY a.cycle
            """)
        defer { s.reset() }
        guard try s.step() else { return nil }
        var left = ArchivedRowsLeft(
            plan: ArchivePlan(partition: partition, cycle: s.int64(0), offsets: s.int64(1)...max(s.int64(1), s.int64(2))),
            barrierOffset: s.int64(3), lotIds: nil)
        let tookSummaries = s.int64(4) >= 0
        guard try !s.step() else {
            throw LedgerError(.corrupt, "shard file \(db.path) lists more than one archive whose rows are still hot; rebuild it from the log")
        }
        s.reset()
        if tookSummaries { left.plan.summariesFrom = try summariesFrom(before: left.plan.cycle) }
        return left
    }

    /// Records that the rows of `archive` stay hot until the entry after the barrier at
    /// `barrierOffset`.
    func leaveArchivedRows(_ archive: BuiltArchive, barrierOffset: Int64) throws(LedgerError) {
        precondition(state.archivedRowsLeft == nil, "archive of cycle \(archive.plan.cycle): the rows of the last archive are still hot")
        try db.prepare("INSERT INTO archived_rows_left VALUES (?, ?)").bind(.integer(archive.plan.cycle), .integer(barrierOffset)).run()
        state.archivedRowsLeft = ArchivedRowsLeft(plan: archive.plan, barrierOffset: barrierOffset, lotIds: archive.lotIds)
    }

    /// Deletes the rows of the archive `left` from the hot tables: the journal, portions and
    /// dead letters of its range, its lots, and the queue rows that no longer wait. Called
    /// before the first entry after its barrier (`Shard.applyEntries`), or by the barrier
    /// itself when `deletesArchivedRowsLater` is false.
    func deleteArchivedRows(_ left: ArchivedRowsLeft) throws(LedgerError) {
        let started = ContinuousClock.now
        let (first, last) = (left.plan.offsets.lowerBound, left.plan.offsets.upperBound)
        try db.prepare("DELETE FROM journal WHERE offset BETWEEN ? AND ?").bind(.integer(first), .integer(last)).run()
        try db.prepare("DELETE FROM portions WHERE redemption_offset BETWEEN ? AND ?").bind(.integer(first), .integer(last)).run()
        try db.prepare("DELETE FROM dead_letters WHERE offset BETWEEN ? AND ?").bind(.integer(first), .integer(last)).run()
        let lotIds: [Int64]
        if let taken = left.lotIds { lotIds = taken } else { lotIds = try BuiltArchive.spentLotIds(left.plan.offsets, db: db) }
        #if DEBUG
            // The lots are frozen: the queue names the same ones as when the barrier took them.
            if let taken = left.lotIds {
                let again = try BuiltArchive.spentLotIds(left.plan.offsets, db: db)
                assert(again == taken, "archive of cycle \(left.plan.cycle): the queue names other lots than the barrier took")
            }
        #endif
        if let from = left.plan.summariesFrom {
            // Exactly what the file took (`summaryCondition`), summed first.
            try addToArchivedTotals(from: from, through: last)
            for table in Self.summaryTables {
                try db.prepareDynamic("DELETE FROM \(table.name) WHERE \(Self.summaryCondition(table.name))")
                    .bind(.integer(from), .integer(last)).run()
            }
        }
        let deleteLot = try db.prepare("DELETE FROM lots WHERE lot_id = ?")
        for lot in lotIds { try deleteLot.bind(.integer(lot)).run() }
        // What stays queued: lots still at 0 with a later queue row (given points back and
        // emptied again); they are looked at again.
        try db.prepare(
            """
            DELETE FROM spent_lots WHERE first_offset <= ?
            AND NOT EXISTS (SELECT 1 FROM lots l WHERE l.lot_id = spent_lots.lot_id AND l.points_left = 0)
            """
        ).bind(.integer(last)).run()
        try db.prepare("DELETE FROM archived_rows_left WHERE cycle = ?").bind(.integer(left.plan.cycle)).run()
        state.archivedRowsLeft = nil
        archivedRowsDeletions += 1
        lastArchivedRowsDeletion = .now - started
    }
}
