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
/// before the deletes, its content hash folded into the open cycle's digest.
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

    /// Lots looked at per barrier by the sweep for spent ones: bounds the barrier's work.
    static let lotsSweptPerBarrier = 20_000

    /// What the last archive step left: the highest offset archived, where the lot sweep stands.
    func archiveMark() throws(LedgerError) -> (archivedThrough: Int64, lotCursor: Int64) {
        let s = try db.prepare("SELECT last_offset, lot_cursor FROM archives ORDER BY cycle DESC LIMIT 1")
        defer { s.reset() }
        return try s.step() ? (s.int64(0), s.int64(1)) : (-1, -1)
    }

    /// The last barrier offset of the sealed cycles after `archivedThrough` that closed before `cutoff`.
    private func archivableThrough(after archivedThrough: Int64, closedBefore cutoff: Int64) throws(LedgerError) -> Int64 {
        let s = try db.prepare("SELECT barrier_offset, closed_at FROM cycles WHERE barrier_offset > ? ORDER BY barrier_offset")
        defer { s.reset() }
        s.bindInteger(1, archivedThrough)
        var through = archivedThrough
        while try s.step(), s.int64(1) < cutoff { through = s.int64(0) }
        return through
    }

    /// Archives what no rule can need any more at the barrier of `cycle` closing at
    /// `closedAtMilliseconds` (after its breakage sweep, before its seal): journal rows,
    /// portions and dead letters of the sealed cycles that closed more than
    /// `programme.archiveAgeMilliseconds` before, and spent lots (no points left, accrual
    /// archived, no hot portion) among the next `lotsSweptPerBarrier` lots of the sweep.
    /// Nothing unless the programme sets both the horizon and the window.
    func archiveExpired(cycle: Int64, closedAtMilliseconds: Int64, programme: Programme, directory: String) throws(LedgerError) {
        guard let age = programme.archiveAgeMilliseconds else { return }
        let (cutoff, overflow) = closedAtMilliseconds.subtractingReportingOverflow(age)
        guard !overflow else { return }
        try flushJournal()
        try flushPortions()
        try flushLots()
        let mark = try archiveMark()
        let through = try archivableThrough(after: mark.archivedThrough, closedBefore: cutoff)
        let range = (mark.archivedThrough + 1)...max(mark.archivedThrough + 1, through)
        let fresh = through > mark.archivedThrough
        var journal = fresh ? try archivedRows(Self.archivedJournal, where: "offset BETWEEN ? AND ?", range) : []
        var portions = fresh ? try archivedRows(Self.archivedPortions, where: "redemption_offset BETWEEN ? AND ?", range) : []
        var deadLetters = fresh ? try archivedRows(Self.archivedDeadLetters, where: "offset BETWEEN ? AND ?", range) : []
        let (lots, lotCursor) = try spentLots(after: mark.lotCursor, accrualsThrough: through)
        if !fresh { (journal, portions, deadLetters) = ([], [], []) }
        guard fresh || !lots.isEmpty || lotCursor != mark.lotCursor else { return }
        let content = ArchiveContent(tables: [
            ArchiveContent.Table(
                name: "range", columns: ["partition", "cycle", "first_offset", "last_offset"],
                rows: [[.integer(Int64(partition)), .integer(cycle), .integer(range.lowerBound), .integer(through)]]),
            Self.table(Self.archivedJournal, journal), Self.table(Self.archivedPortions, portions), Self.table(Self.archivedLots, lots),
            Self.table(Self.archivedDeadLetters, deadLetters),
        ])
        let encoded = ArchiveFile.encode(content)
        let name = Self.archiveFileName(cycle: cycle)
        do {
            try ArchiveFile.writeDurably(encoded.bytes, name: name, directory: directory)
        } catch {
            throw LedgerError(.sqlite, "\(error); the barrier of cycle \(cycle) archives nothing until it can write there")
        }
        // Only once the file is durable do the rows leave: a crash before the commit below
        // leaves them hot, and the retried barrier writes the same bytes again.
        if fresh {
            try db.prepare("DELETE FROM journal WHERE offset BETWEEN ? AND ?").bind(.integer(range.lowerBound), .integer(through)).run()
            try db.prepare("DELETE FROM portions WHERE redemption_offset BETWEEN ? AND ?").bind(.integer(range.lowerBound), .integer(through))
                .run()
            try db.prepare("DELETE FROM dead_letters WHERE offset BETWEEN ? AND ?").bind(.integer(range.lowerBound), .integer(through)).run()
        }
        let deleteLot = try db.prepare("DELETE FROM lots WHERE lot_id = ?")
        for lot in lots { try deleteLot.bind(.integer(lot[0].integer ?? -1)).run() }
        try db.prepare("INSERT INTO archives VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").bind(
            .integer(cycle), .text(name), .integer(range.lowerBound), .integer(through), .integer(lotCursor), .text(encoded.contentSHA256),
            .text(encoded.fileSHA256), .integer(Int64(journal.count)), .integer(Int64(portions.count)), .integer(Int64(lots.count)),
            .integer(Int64(deadLetters.count))
        ).run()
        absorbIntoOpenDigest(
            "archive", Array("\(name) \(encoded.contentSHA256) \(journal.count) \(portions.count) \(lots.count) \(deadLetters.count)".utf8))
        try forgetArchivedKeys(journal)
    }

    static func archiveFileName(cycle: Int64) -> String {
        let digits = String(cycle)
        return "cycle-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".archive"
    }

    /// Rows of `table` matching `condition` over `range`, in canonical order.
    private func archivedRows(_ table: ArchivedTable, where condition: String, _ range: ClosedRange<Int64>) throws(LedgerError) -> [Row] {
        let columns = table.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let s = try db.prepareDynamic("SELECT \(columns) FROM \(table.name) WHERE \(condition) ORDER BY \(table.orderBy)")
        defer { s.reset() }
        s.bindInteger(1, range.lowerBound)
        s.bindInteger(2, range.upperBound)
        return try readRows(s, table)
    }

    func readRows(_ s: SQLiteStatement, _ table: ArchivedTable) throws(LedgerError) -> [Row] {
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

    /// The next lots of the sweep after `cursor` (at most `lotsSweptPerBarrier`, lot ids up
    /// to `accrualsThrough`) that are spent: no points left and no hot portion. Returns them
    /// and the new cursor (-1: the sweep starts over at the next barrier).
    private func spentLots(after cursor: Int64, accrualsThrough: Int64) throws(LedgerError) -> ([Row], Int64) {
        guard accrualsThrough >= 0 else { return ([], cursor) }
        let columns = Self.archivedLots.columns.joined(separator: ", ")
        let s = try db.prepareDynamic("SELECT \(columns) FROM lots WHERE lot_id > ? AND lot_id <= ? ORDER BY lot_id LIMIT ?")
        defer { s.reset() }
        s.bind(.integer(cursor), .integer(accrualsThrough), .integer(Int64(Self.lotsSweptPerBarrier)))
        let scanned = try readRows(s, Self.archivedLots)
        let referenced = try db.prepare("SELECT 1 FROM portions WHERE lot_id = ? LIMIT 1")
        var spent: [Row] = []
        for lot in scanned where lot[4] == .integer(0) {
            let held = try referenced.bind(.integer(lot[0].integer ?? -1)).step()
            referenced.reset()
            if !held { spent.append(lot) }
        }
        let next = scanned.count < Self.lotsSweptPerBarrier ? -1 : (scanned.last?[0].integer ?? -1)
        return (spent, next)
    }

    private static func table(_ table: ArchivedTable, _ rows: [Row]) -> ArchiveContent.Table {
        ArchiveContent.Table(name: table.name, columns: table.columns, rows: rows)
    }

    /// The duplicate filter follows the hot journal: once archiving removed half of the
    /// keys it was built from, it is rebuilt from the hot journal plus the keys this
    /// barrier archived. A rollback of the batch puts archived rows back, so the filter
    /// must keep every key archived in the batch: the rebuild waits for the next batch
    /// when an earlier barrier of this batch archived keys (their rows are deleted in SQL,
    /// their keys only in the filter being replaced).
    private func forgetArchivedKeys(_ journal: [Row]) throws(LedgerError) {
        guard !journal.isEmpty, var filter = journalKeys else { return }
        journalKeys = nil
        let thisBatch = batch.map(ObjectIdentifier.init)
        let archivedEarlierInBatch = filter.lastArchivingBatch == thisBatch
        filter.lastArchivingBatch = thisBatch
        filter.noteRemoved(journal.count)
        guard filter.isMostlyRemoved, !archivedEarlierInBatch else {
            journalKeys = filter
            return
        }
        let archived = journal.map { KeyFilter.hash(partnerId: $0[0].text ?? "", partnerTxnId: $0[1].text ?? "") }
        var rebuilt = try hotJournalFilter(also: archived)
        rebuilt.noteRemoved(archived.count)
        rebuilt.lastArchivingBatch = thisBatch
        journalKeys = rebuilt
    }
}

// The archives as the `loyalty ledger` tools read them.
extension LedgerStore {
    func archiveRecords() throws(LedgerError) -> [ArchiveRecord] {
        let s = try db.prepare(
            """
            SELECT cycle, file, first_offset, last_offset, content_sha256, file_sha256, journal_rows, portion_rows, lot_rows,
            dead_letter_rows FROM archives WHERE file != '' ORDER BY cycle
            """)
        defer { s.reset() }
        var records: [ArchiveRecord] = []
        while try s.step() {
            records.append(
                ArchiveRecord(
                    cycle: s.int64(0), file: s.text(1), offsets: s.int64(2)...max(s.int64(2), s.int64(3)), contentSHA256: s.text(4),
                    fileSHA256: s.text(5), journalRows: s.int64(6), portionRows: s.int64(7), lotRows: s.int64(8), deadLetterRows: s.int64(9)))
        }
        return records
    }

    /// The member's rows of the hot journal, as an archive table (a scan: for tools).
    func hotJournal(ofMember memberId: String) throws(LedgerError) -> ArchiveContent.Table {
        let columns = Self.archivedJournal.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let s = try db.prepareDynamic("SELECT \(columns) FROM journal WHERE member_id = ? ORDER BY offset")
        defer { s.reset() }
        s.bindText(1, memberId)
        return ArchiveContent.Table(name: "journal", columns: Self.archivedJournal.columns, rows: try readRows(s, Self.archivedJournal))
    }
}
