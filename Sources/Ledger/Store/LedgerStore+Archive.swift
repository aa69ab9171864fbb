import Foundation
import LedgerArchive
import Programme
import SQLite

/// Where a shard's archive files go: `<archive root>/partition-NNNN`, the root being
/// `<shard dir>/archive` unless the shard is opened with another directory
/// (`Shard.init(archiveDirectory:)`, `loyalty worker --archive-dir`).
public enum ArchiveLocation {
    /// `<root>/partition-NNNN`.
    public static func directory(root: String, partition: Int32) -> String {
        let padded = String(repeating: "0", count: max(0, 4 - String(partition).count)) + String(partition)
        return root + "/partition-" + padded
    }

    /// `<shard dir>/archive/partition-NNNN`.
    public static func directory(forShardPath shardPath: String, partition: Int32) -> String {
        let shardDirectory = (shardPath as NSString).deletingLastPathComponent
        return directory(root: (shardDirectory.isEmpty ? "." : shardDirectory) + "/archive", partition: partition)
    }
}

/// Archiving at a barrier (docs/design.md, "Bounded hot state"): the rows no rule can need
/// any more leave the hot tables for one compressed file per barrier, written durably
/// before the deletes (built ahead, `ArchiveAhead`), its content hash folded into the open
/// cycle's digest.
extension LedgerStore {
    /// The tables an archive holds, their columns in table order, and the canonical row order.
    struct ArchivedTable {
        var name: String
        var columns: [String]
        var orderBy: String
    }

    typealias Row = [ArchiveContent.Value]

    static let archivedJournal = ArchivedTable(
        name: "journal",
        columns: [
            "partner_id", "partner_txn_id", "offset", "member_id", "kind", "status", "reason", "detail", "points_delta", "balance_after",
            "amount_minor", "points", "fee_minor", "lot_id", "original_offset", "refunded_minor", "clawed_points", "refunded_fee_minor",
            "reversed_by", "event_time",
        ], orderBy: "offset")
    static let archivedPortions = ArchivedTable(
        name: "portions", columns: ["redemption_offset", "lot_id", "points"], orderBy: "redemption_offset, lot_id")
    static let archivedLots = ArchivedTable(
        name: "lots",
        columns: ["lot_id", "member_id", "issuer", "points_initial", "points_left", "expires_at", "created_at"], orderBy: "lot_id")
    static let archivedDeadLetters = ArchivedTable(name: "dead_letters", columns: ["offset", "reason"], orderBy: "offset")

    /// The highest offset the archives hold (-1: none yet).
    func archivedThrough() throws(LedgerError) -> Int64 {
        let s = try db.prepare("SELECT last_offset FROM archives ORDER BY cycle DESC LIMIT 1")
        defer { s.reset() }
        return try s.step() ? s.int64(0) : -1
    }

    /// The newest of the sealed cycles after offset `archivedThrough` that closed before
    /// `cutoff`, their rows' latest times too (`cycle_times`), with every cycle before it,
    /// and its barrier offset (nil: none).
    private func archivableCycle(after archivedThrough: Int64, closedBefore cutoff: Int64) throws(LedgerError) -> (cycle: Int64, barrier: Int64)? {
        try hotCycles(after: archivedThrough).prefix { $0.archiveTime < cutoff }.last.map { ($0.cycle, $0.barrier) }
    }

    /// What the barrier of `cycle` archives: the journal rows, portions and dead letters of
    /// the sealed cycles that closed more than `programme.archiveAgeMilliseconds` before
    /// the close time of the last cycle sealed before it, and the lots those cycles left
    /// spent (`spent_lots`) that still have no points left and no later queue row (nil:
    /// nothing, or the programme does not set both the horizon and the window).
    /// Counting from the previous close time, not the barrier's own, makes the plan known
    /// as soon as that previous barrier commits, so the file can be built ahead
    /// (`ArchiveAhead`); the rows are frozen from then on (`LedgerRules+Horizon`: every later
    /// entry's log time is at least that close time).
    func archivePlan(cycle: Int64, programme: Programme) throws(LedgerError) -> ArchivePlan? {
        guard let age = programme.archiveAgeMilliseconds else { return nil }
        let last = try db.prepare("SELECT closed_at FROM cycles ORDER BY cycle DESC LIMIT 1")
        defer { last.reset() }
        guard try last.step() else { return nil }
        let (cutoff, overflow) = last.int64(0).subtractingReportingOverflow(age)
        guard !overflow else { return nil }
        let previous = try archivedThrough()
        guard let newest = try archivableCycle(after: previous, closedBefore: cutoff) else { return nil }
        return ArchivePlan(
            partition: partition, cycle: cycle, offsets: (previous + 1)...newest.barrier,
            summariesFrom: programme.archivesCycleSummaries ? try summariesFrom(before: cycle) : nil)
    }

    /// Starts building the archive of the barrier after the last sealed one, if it will
    /// archive anything. Call after a sealing barrier commits.
    func buildNextArchiveAhead(programme: Programme, directory: String) throws(LedgerError) {
        // Cycles only need to increase; the next one is guessed, and a barrier of another
        // cycle builds its own file (`ArchiveAhead.take`).
        guard buildsArchivesAhead, let plan = try archivePlan(cycle: try readShardRow().lastSealedCycle + 1, programme: programme)
        else { return }
        archiveAhead.start(plan, path: db.path, directory: directory)
        archivesBuiltAhead += 1
    }

    /// The archive step of the barrier of `cycle` (first thing after the entries before it
    /// are flushed, before its breakage sweep): the file of `archivePlan` written durably
    /// (built ahead, or here), the file recorded and its content hash folded into the open
    /// cycle's digest. Its rows are deleted before the entry after this barrier
    /// (`LedgerStore+ArchivedRows`): O(rows archived), the journal and the portions being
    /// stored by offset (one contiguous range each), but the lots at random places.
    func archiveExpired(cycle: Int64, barrierOffset: Int64, programme: Programme, directory: String) throws(LedgerError) {
        try flushJournal()
        try flushPortions()
        try flushLots()
        try flushSpentLots()
        guard let plan = try archivePlan(cycle: cycle, programme: programme) else { return }
        let archive: BuiltArchive
        if let ahead = archiveAhead.take(plan) {
            archive = ahead
            archivesTakenAhead += 1
            #if DEBUG
                // The same bytes as a build here: the rows were frozen when the plan was made.
                let here = try BuiltArchive.build(plan, db: db, directory: directory, writing: false)
                assert(
                    here.fileSHA256 == ahead.fileSHA256 && here.lotIds == ahead.lotIds,
                    "the archive of cycle \(cycle) built ahead differs from one built at its barrier")
            #endif
        } else {
            archive = try BuiltArchive.build(plan, db: db, directory: directory)
        }
        // The rows leave after this barrier (`LedgerStore+ArchivedRows`), and only because
        // the file is durable: a crash before the commit below leaves no `archives` row,
        // and the retried barrier writes the same bytes again.
        try leaveArchivedRows(archive, barrierOffset: barrierOffset)
        try dropCycleTimes(archivedThrough: plan.offsets.upperBound)
        if !deletesArchivedRowsLater, let left = state.archivedRowsLeft { try deleteArchivedRows(left) }
        let (first, last) = (plan.offsets.lowerBound, plan.offsets.upperBound)
        let name = plan.fileName
        try db.prepare(
            """
            INSERT INTO archives (cycle, file, first_offset, last_offset, lot_cursor, content_sha256, file_sha256, journal_rows,
            portion_rows, lot_rows, dead_letter_rows, summary_rows) VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, ?, ?, ?)
            """
        ).bind(
            .integer(cycle), .text(name), .integer(first), .integer(last), .text(archive.contentSHA256), .text(archive.fileSHA256),
            .integer(Int64(archive.journalRows)), .integer(Int64(archive.portionRows)), .integer(Int64(archive.lotIds.count)),
            .integer(Int64(archive.deadLetterRows)), .integer(Int64(archive.summaryRows))
        ).run()
        try recordArchiveLimits(programme)
        // An archive without summaries folds in the words it always did.
        let summaries = archive.summaryRows >= 0 ? " \(archive.summaryRows)" : ""
        absorbIntoOpenDigest(
            "archive",
            Array(
                "\(name) \(archive.contentSHA256) \(archive.journalRows) \(archive.portionRows) \(archive.lotIds.count) \(archive.deadLetterRows)\(summaries)"
                    .utf8))
        // The keys leave `journalKeys` when this batch commits (`LedgerStore.commit`).
        state.archivedKeys += archive.keys
    }

    /// The shortest idempotency horizon and reversal window, in days, this shard has
    /// archived under (migration 23); nil before its first archive.
    func archiveLimits() throws(LedgerError) -> (horizonDays: Int, reversalDays: Int)? {
        let s = try db.prepare("SELECT horizon_days, reversal_days FROM archive_limits WHERE id = 1")
        defer { s.reset() }
        return try s.step() ? (Int(s.int64(0)), Int(s.int64(1))) : nil
    }

    /// Keeps the shorter of `programme`'s limits and those recorded: a barrier archiving
    /// under them, in its own SQL transaction (a rollback takes it back with the archive).
    private func recordArchiveLimits(_ programme: Programme) throws(LedgerError) {
        guard let horizon = programme.idempotencyHorizonDays, let window = programme.reversalWindowDays else { return }
        try db.prepare(
            """
            INSERT INTO archive_limits (id, horizon_days, reversal_days) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET
            horizon_days = MIN(horizon_days, excluded.horizon_days), reversal_days = MIN(reversal_days, excluded.reversal_days)
            """
        ).bind(.integer(Int64(horizon)), .integer(Int64(window))).run()
    }

    static func archiveFileName(cycle: Int64) -> String {
        let digits = String(cycle)
        return "cycle-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".archive"
    }

    static func readRows(_ s: SQLiteStatement, _ table: ArchivedTable) throws(LedgerError) -> [Row] {
        var rows: [Row] = []
        while try s.step() {
            rows.append(
                (0..<Int32(table.columns.count)).map { i in
                    switch s.value(i) {
                    case .null: .null
                    case .integer(let v): .integer(v)
                    case .text(let t): .text(t)
                    }
                })
        }
        return rows
    }
}

// The archives as the `loyalty ledger` tools read them.
extension LedgerStore {
    /// Every archive file's record, or the one of `cycle`'s archive.
    func archiveRecords(cycle: Int64? = nil) throws(LedgerError) -> [ArchiveRecord] {
        let s = try db.prepare(
            """
            SELECT cycle, file, first_offset, last_offset, content_sha256, file_sha256, journal_rows, portion_rows, lot_rows,
            dead_letter_rows, summary_rows FROM archives WHERE file != '' AND (?1 IS NULL OR cycle = ?1) ORDER BY cycle
            """)
        defer { s.reset() }
        let value: SQLiteValue = cycle.map { .integer($0) } ?? .null
        s.bind(1, value)
        var records: [ArchiveRecord] = []
        while try s.step() {
            records.append(
                ArchiveRecord(
                    cycle: s.int64(0), file: s.text(1), offsets: s.int64(2)...max(s.int64(2), s.int64(3)), contentSHA256: s.text(4),
                    fileSHA256: s.text(5), journalRows: s.int64(6), portionRows: s.int64(7), lotRows: s.int64(8), deadLetterRows: s.int64(9),
                    summaryRows: s.int64(10)))
        }
        return records
    }

    /// The member's rows of the hot journal, as an archive table (a scan: for tools).
    func hotJournal(ofMember memberId: String) throws(LedgerError) -> ArchiveContent.Table {
        let columns = Self.archivedJournal.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let s = try db.prepareDynamic("SELECT \(columns) FROM journal WHERE member_id = ? AND \(Self.hotOffsets) ORDER BY offset")
        defer { s.reset() }
        s.bindText(1, memberId)
        return ArchiveContent.Table(name: "journal", columns: Self.archivedJournal.columns, rows: try Self.readRows(s, Self.archivedJournal))
    }
}
