import LedgerArchive
import SQLite

/// What one archiving barrier moves out of the hot tables (docs/design.md, "Bounded hot
/// state"): decided by the log alone, so a replay and a shard that built it ahead agree.
struct ArchivePlan: Equatable, Sendable {
    var partition: Int32
    /// The barrier's cycle: it names the file and is written into its `range` table.
    var cycle: Int64
    /// The offsets archived: after the previous archive, through the barrier of the newest
    /// cycle archived (the spent-lot queue's rows keyed at or below it are read).
    var offsets: ClosedRange<Int64>
    /// Where the cycle summaries it takes start (the offset after the newest archive that
    /// took summaries, 0 for the first): those of every sealed cycle whose barrier is from
    /// there to the end of `offsets`. nil: the programme does not set
    /// `archive_cycle_summaries`, and they stay hot.
    var summariesFrom: Int64? = nil

    var fileName: String { LedgerStore.archiveFileName(cycle: cycle) }
}

/// An archive file written durably, with what the barrier needs to finish the step:
/// the counts and hashes for the `archives` row and the digest, the lots to delete and
/// the journal keys to forget.
struct BuiltArchive: Sendable {
    var plan: ArchivePlan
    var contentSHA256: String
    var fileSHA256: String
    /// The file's size: a barrier taking a file built ahead checks it is still there.
    var fileBytes: Int64
    var journalRows: Int
    var portionRows: Int
    var deadLetterRows: Int
    /// Rows of the four summary tables the file holds (-1: it takes none).
    var summaryRows: Int
    var lotIds: [Int64]
    var keys: [(hash: UInt64, key: JournalKeys.Key, offset: Int64)]

    /// Reads the plan's rows through `db` (the writer's connection, or a reader's inside a
    /// read transaction), encodes them and writes the file durably into `directory`.
    /// The rows are frozen once the plan is known (`LedgerRules+Horizon`): no entry after
    /// the barrier that decided it can change them, so any read after that barrier's
    /// COMMIT gives the same bytes.
    /// `writing` false: the bytes and figures only (the debug check of a file built ahead).
    static func build(_ plan: ArchivePlan, db: SQLiteDatabase, directory: String, writing: Bool = true) throws(LedgerError) -> BuiltArchive {
        let range = plan.offsets
        let journal = try rows(LedgerStore.archivedJournal, where: "offset BETWEEN ? AND ?", range, db: db)
        let portions = try rows(LedgerStore.archivedPortions, where: "redemption_offset BETWEEN ? AND ?", range, db: db)
        let deadLetters = try rows(LedgerStore.archivedDeadLetters, where: "offset BETWEEN ? AND ?", range, db: db)
        let lots = try spentLots(range, db: db)
        var content = ArchiveContent(tables: [
            ArchiveContent.Table(
                name: "range", columns: ["partition", "cycle", "first_offset", "last_offset"],
                rows: [[.integer(Int64(plan.partition)), .integer(plan.cycle), .integer(range.lowerBound), .integer(range.upperBound)]]),
            table(LedgerStore.archivedJournal, journal), table(LedgerStore.archivedPortions, portions),
            table(LedgerStore.archivedLots, lots), table(LedgerStore.archivedDeadLetters, deadLetters),
        ])
        var summaryRows = -1
        if let from = plan.summariesFrom {
            // Sealed long ago, so frozen like the rest (a seal is their last write).
            let summaries = try LedgerStore.summaryTables.map { summary throws(LedgerError) in
                table(summary, try rows(summary, where: LedgerStore.summaryCondition(summary.name), from...range.upperBound, db: db))
            }
            content.tables += summaries
            summaryRows = summaries.reduce(0) { $0 + $1.rows.count }
        }
        let encoded = ArchiveFile.encode(content)
        do {
            if writing { try ArchiveFile.writeDurably(encoded.bytes, name: plan.fileName, directory: directory) }
        } catch {
            throw LedgerError(.sqlite, "\(error); the barrier of cycle \(plan.cycle) archives nothing until it can write there")
        }
        if writing {
            // Its members, for `ledger history`; an index only, so a failure is not the barrier's.
            let member = LedgerStore.archivedJournal.columns.firstIndex(of: "member_id")!
            ArchiveMemberIndex.write(
                members: journal.lazy.compactMap { $0[member].text }, archiveSHA256: encoded.fileSHA256,
                archivePath: directory + "/" + plan.fileName)
        }
        var keys: [(hash: UInt64, key: JournalKeys.Key, offset: Int64)] = []
        keys.reserveCapacity(journal.count)
        for row in journal {
            guard case .text(let partnerId) = row[0], case .text(let partnerTxnId) = row[1], case .integer(let offset) = row[2] else {
                continue
            }
            keys.append(
                (
                    JournalKeys.hash(partnerId: partnerId, partnerTxnId: partnerTxnId),
                    JournalKeys.Key(partnerId: partnerId, partnerTxnId: partnerTxnId), offset
                ))
        }
        return BuiltArchive(
            plan: plan, contentSHA256: encoded.contentSHA256, fileSHA256: encoded.fileSHA256, fileBytes: Int64(encoded.bytes.count),
            journalRows: journal.count,
            portionRows: portions.count, deadLetterRows: deadLetters.count, summaryRows: summaryRows, lotIds: lots.map { $0[0].integer ?? -1 },
            keys: keys)
    }

    /// Rows of `table` matching `condition` over `range`, in canonical order.
    private static func rows(
        _ table: LedgerStore.ArchivedTable, where condition: String, _ range: ClosedRange<Int64>, db: SQLiteDatabase
    ) throws(LedgerError) -> [LedgerStore.Row] {
        let columns = table.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let s = try db.prepareDynamic("SELECT \(columns) FROM \(table.name) WHERE \(condition) ORDER BY \(table.orderBy)")
        defer { s.reset() }
        s.bindInteger(1, range.lowerBound)
        s.bindInteger(2, range.upperBound)
        return try LedgerStore.readRows(s, table)
    }

    /// The lots that the cycles through the end of `range` left at 0 points (`spent_lots`,
    /// keyed by their cycles' first offsets) and that still are, with no queue row after
    /// the range (a lot given points back by a cancel and emptied again waits for the
    /// cycle that emptied it last), whose accrual is archived (it precedes the spending,
    /// except for lots queued by migration 7), and that a queue row or the accrual puts in
    /// this range: a lot of an earlier range was taken by its archive, and its row may
    /// still be in the table until the entry after that barrier (`LedgerStore+ArchivedRows`).
    /// A promotion's bonus lot (negative id) goes with the accrual that made it
    /// (`LedgerRules.bonusLotId`). A lot at 0 with a portion after the range was emptied
    /// after that portion, so it has such a row: the queue alone says what
    /// `portions_by_lot` said until migration 18 (which dropped that index and its write
    /// at every portion). A lot's queue rows are asked of `lots.spent_first_offset`, the
    /// key of its newest one (migration 20): none after the range when it is at most the
    /// range's end, one in the range when it is at least its start. Deterministic: a
    /// function of the log up to the barrier that decided the plan.
    private static func spentLots(_ range: ClosedRange<Int64>, db: SQLiteDatabase) throws(LedgerError) -> [LedgerStore.Row] {
        let s = try spentLotsQuery(columns: LedgerStore.archivedLots.columns, range, db: db)
        defer { s.reset() }
        return try LedgerStore.readRows(s, LedgerStore.archivedLots)
    }

    /// The ids of the lots `spentLots` reads: what the archive of `range` took, read
    /// again after the file was opened (the lots are frozen).
    static func spentLotIds(_ range: ClosedRange<Int64>, db: SQLiteDatabase) throws(LedgerError) -> [Int64] {
        let s = try spentLotsQuery(columns: ["lot_id"], range, db: db)
        defer { s.reset() }
        var ids: [Int64] = []
        while try s.step() { ids.append(s.int64(0)) }
        return ids
    }

    private static func spentLotsQuery(
        columns: [String], _ range: ClosedRange<Int64>, db: SQLiteDatabase
    ) throws(LedgerError)
        -> SQLiteStatement
    {
        let accrual = "(CASE WHEN l.lot_id >= 0 THEN l.lot_id ELSE (-l.lot_id - 1) / \(LedgerRules.bonusLotsPerAccrual) END)"
        let s = try db.prepareDynamic(
            """
            SELECT \(columns.map { "l." + $0 }.joined(separator: ", ")) FROM lots l
            WHERE l.lot_id IN (SELECT lot_id FROM spent_lots WHERE first_offset <= ?2)
            AND l.points_left = 0 AND \(accrual) <= ?2
            AND l.spent_first_offset <= ?2
            AND (\(accrual) >= ?1 OR l.spent_first_offset >= ?1)
            ORDER BY l.lot_id
            """)
        s.bind(.integer(range.lowerBound), .integer(range.upperBound))
        return s
    }

    private static func table(_ table: LedgerStore.ArchivedTable, _ rows: [LedgerStore.Row]) -> ArchiveContent.Table {
        ArchiveContent.Table(name: table.name, columns: table.columns, rows: rows)
    }
}
