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

    /// The highest offset the archives hold (-1: none yet).
    func archivedThrough() throws(LedgerError) -> Int64 {
        let s = try db.prepare("SELECT last_offset FROM archives ORDER BY cycle DESC LIMIT 1")
        defer { s.reset() }
        return try s.step() ? s.int64(0) : -1
    }

    /// The newest of the sealed cycles after offset `archivedThrough` that closed before
    /// `cutoff`, and its barrier offset (nil: none).
    private func archivableCycle(after archivedThrough: Int64, closedBefore cutoff: Int64) throws(LedgerError) -> (cycle: Int64, barrier: Int64)? {
        let s = try db.prepare("SELECT cycle, barrier_offset, closed_at FROM cycles WHERE barrier_offset > ? ORDER BY barrier_offset")
        defer { s.reset() }
        s.bindInteger(1, archivedThrough)
        var newest: (cycle: Int64, barrier: Int64)?
        while try s.step(), s.int64(2) < cutoff { newest = (s.int64(0), s.int64(1)) }
        return newest
    }

    /// Archives what no rule can need any more at the barrier of `cycle` closing at
    /// `closedAtMilliseconds` (after its breakage sweep, before its seal): journal rows,
    /// portions and dead letters of the sealed cycles that closed more than
    /// `programme.archiveAgeMilliseconds` before, and the lots those cycles left spent
    /// (`spent_lots`) that still have no points left and no hot portion. Nothing unless the
    /// programme sets both the horizon and the window. O(rows archived): the journal and
    /// the portions are stored by offset, so their archived rows are one contiguous range.
    func archiveExpired(cycle: Int64, closedAtMilliseconds: Int64, programme: Programme, directory: String) throws(LedgerError) {
        guard let age = programme.archiveAgeMilliseconds else { return }
        let (cutoff, overflow) = closedAtMilliseconds.subtractingReportingOverflow(age)
        guard !overflow else { return }
        try flushJournal()
        try flushPortions()
        try flushLots()
        try flushSpentLots()
        let previous = try archivedThrough()
        guard let newest = try archivableCycle(after: previous, closedBefore: cutoff) else { return }
        let range = (previous + 1)...newest.barrier
        let journal = try archivedRows(Self.archivedJournal, where: "offset BETWEEN ? AND ?", range)
        let portions = try archivedRows(Self.archivedPortions, where: "redemption_offset BETWEEN ? AND ?", range)
        let deadLetters = try archivedRows(Self.archivedDeadLetters, where: "offset BETWEEN ? AND ?", range)
        let lots = try spentLots(throughCycle: newest.cycle, archivedThrough: newest.barrier)
        let content = ArchiveContent(tables: [
            ArchiveContent.Table(
                name: "range", columns: ["partition", "cycle", "first_offset", "last_offset"],
                rows: [[.integer(Int64(partition)), .integer(cycle), .integer(range.lowerBound), .integer(range.upperBound)]]),
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
        let (first, last) = (range.lowerBound, range.upperBound)
        try db.prepare("DELETE FROM journal WHERE offset BETWEEN ? AND ?").bind(.integer(first), .integer(last)).run()
        try db.prepare("DELETE FROM portions WHERE redemption_offset BETWEEN ? AND ?").bind(.integer(first), .integer(last)).run()
        try db.prepare("DELETE FROM dead_letters WHERE offset BETWEEN ? AND ?").bind(.integer(first), .integer(last)).run()
        let deleteLot = try db.prepare("DELETE FROM lots WHERE lot_id = ?")
        for lot in lots { try deleteLot.bind(.integer(lot[0].integer ?? -1)).run() }
        // What stays queued: lots still at 0 with a hot portion (given points back and spent
        // again, or queued by migration 7 while being spent); they are looked at again.
        try db.prepare(
            """
            DELETE FROM spent_lots WHERE cycle BETWEEN 0 AND ?
            AND NOT EXISTS (SELECT 1 FROM lots l WHERE l.lot_id = spent_lots.lot_id AND l.points_left = 0)
            """
        ).bind(.integer(newest.cycle)).run()
        try db.prepare("INSERT INTO archives VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, ?, ?)").bind(
            .integer(cycle), .text(name), .integer(range.lowerBound), .integer(range.upperBound), .text(encoded.contentSHA256),
            .text(encoded.fileSHA256), .integer(Int64(journal.count)), .integer(Int64(portions.count)), .integer(Int64(lots.count)),
            .integer(Int64(deadLetters.count))
        ).run()
        absorbIntoOpenDigest(
            "archive", Array("\(name) \(encoded.contentSHA256) \(journal.count) \(portions.count) \(lots.count) \(deadLetters.count)".utf8))
        // The keys leave `journalKeys` when this batch commits (`LedgerStore.commit`).
        for row in journal {
            guard case .text(let partnerId) = row[0], case .text(let partnerTxnId) = row[1], case .integer(let offset) = row[2] else {
                continue
            }
            let key = JournalKeys.Key(partnerId: partnerId, partnerTxnId: partnerTxnId)
            state.archivedKeys.append((JournalKeys.hash(partnerId: partnerId, partnerTxnId: partnerTxnId), key, offset))
        }
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

    /// The lots that cycles up to `cycle` left at 0 points (`spent_lots`) and that still
    /// are: no points left (a cancel may have given some back) and no portion after
    /// `archivedThrough` (a lot given points back and spent again waits for the cycle that
    /// spent it last), whose accrual is archived (it precedes the spending, except for lots
    /// queued by migration 7). A promotion's bonus lot (negative id) goes with the accrual
    /// that made it (`LedgerRules.bonusLotId`).
    /// Deterministic: a function of the log up to this barrier, whatever the batches.
    private func spentLots(throughCycle cycle: Int64, archivedThrough: Int64) throws(LedgerError) -> [Row] {
        let columns = Self.archivedLots.columns.map { "l." + $0 }.joined(separator: ", ")
        let s = try db.prepareDynamic(
            """
            SELECT \(columns) FROM lots l WHERE l.lot_id IN (SELECT lot_id FROM spent_lots WHERE cycle BETWEEN 0 AND ?)
            AND l.points_left = 0 AND (CASE WHEN l.lot_id >= 0 THEN l.lot_id ELSE (-l.lot_id - 1) / \(LedgerRules.bonusLotsPerAccrual) END) <= ?
            AND NOT EXISTS (SELECT 1 FROM portions p WHERE p.lot_id = l.lot_id AND p.redemption_offset > ?)
            ORDER BY l.lot_id
            """)
        defer { s.reset() }
        s.bind(.integer(cycle), .integer(archivedThrough), .integer(archivedThrough))
        return try readRows(s, Self.archivedLots)
    }

    private static func table(_ table: ArchivedTable, _ rows: [Row]) -> ArchiveContent.Table {
        ArchiveContent.Table(name: table.name, columns: table.columns, rows: rows)
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
