import LedgerArchive
import Programme

/// One journal row as `loyalty ledger history` shows it, from the hot journal or an archive.
public struct JournalEntryView: Sendable, Equatable {
    public var offset: Int64
    public var partnerId: String
    public var partnerTxnId: String
    public var memberId: String
    /// The transaction kind's name ("accrual", ...).
    public var kind: String
    public var status: String
    public var reason: String?
    public var detail: String
    public var pointsDelta: Int64
    public var balanceAfter: Int64
    /// nil for rows journaled before event times were stored.
    public var eventTimeMilliseconds: Int64?
    /// The archive file the row was read from; nil for a row still in the hot journal.
    public var archive: String?
}

/// An archive file a barrier wrote, as the shard file records it.
public struct ArchiveRecord: Sendable, Equatable {
    public var cycle: Int64
    public var file: String
    public var offsets: ClosedRange<Int64>
    public var contentSHA256: String
    public var fileSHA256: String
    public var journalRows: Int64
    public var portionRows: Int64
    public var lotRows: Int64
    public var deadLetterRows: Int64
    /// Rows of its cycles' summaries (debts, partner_stats, conversions,
    /// cycle_programme_versions); -1: it took none (`archive_cycle_summaries` unset).
    public var summaryRows: Int64
}

extension Shard {
    /// Every archive file the shard wrote, by cycle.
    public func archives() throws(LedgerError) -> [ArchiveRecord] { try store.archiveRecords() }

    /// The member's journal rows, archived and hot, in offset order: a member's history
    /// stays answerable after its rows left the hot tables.
    public func history(ofMember memberId: String) throws -> [JournalEntryView] { try memberHistory(memberId).entries }

    /// A member's history and what reading it took.
    public struct MemberHistory: Sendable, Equatable {
        public var entries: [JournalEntryView]
        /// Archive files with journal rows, read (checked against their recorded SHA-256).
        public var archivesRead = 0
        /// Archive files with journal rows not read: their member index lists no such member.
        public var archivesSkipped = 0
        /// Of those read, the ones without a usable member index (written now, if it can be).
        public var archivesIndexed = 0
    }

    /// `history(ofMember:)`, reading only the archives whose member index
    /// (`ArchiveMemberIndex`, beside each file) may hold the member, or that have none; an
    /// archive read without one gets it, so the next question skips what it need not read.
    public func memberHistory(_ memberId: String) throws -> MemberHistory {
        var history = MemberHistory(entries: [])
        for record in try archives() where record.journalRows > 0 {
            let path = archiveDirectory + "/" + record.file
            let indexed = ArchiveMemberIndex.mayHold(member: memberId, archivePath: path, archiveSHA256: record.fileSHA256)
            if indexed == false {
                history.archivesSkipped += 1
                continue
            }
            let content = try ArchiveFile.read(path, expectedSHA256: record.fileSHA256)
            history.archivesRead += 1
            guard let journal = content.table("journal") else { continue }
            let members = journal.texts("member_id")
            if indexed == nil {
                history.archivesIndexed += 1
                ArchiveMemberIndex.write(members: members.lazy.compactMap { $0 }, archiveSHA256: record.fileSHA256, archivePath: path)
            }
            for (row, member) in zip(journal.rows, members) where member == memberId {
                history.entries.append(Self.entry(journal, row, archive: record.file))
            }
        }
        let hot = try store.hotJournal(ofMember: memberId)
        history.entries += hot.rows.map { Self.entry(hot, $0, archive: nil) }
        history.entries.sort { $0.offset < $1.offset }
        return history
    }

    /// Problems of the archive files on disk (missing, damaged, another hash than recorded,
    /// row counts that differ); empty when every file checks out.
    public func verifyArchives() throws(LedgerError) -> [String] {
        var problems: [String] = []
        for record in try archives() {
            let path = archiveDirectory + "/" + record.file
            do {
                let content = try ArchiveFile.read(path, expectedSHA256: record.fileSHA256)
                let counts = content.rowCounts
                let expected = [
                    "journal": record.journalRows, "portions": record.portionRows, "lots": record.lotRows, "dead_letters": record.deadLetterRows,
                ]
                for (table, rows) in expected.sorted(by: { $0.key < $1.key }) where Int64(counts[table] ?? 0) != rows {
                    problems.append("\(path): \(table) holds \(counts[table] ?? 0) rows, the shard recorded \(rows)")
                }
                // A member index that lists other members than the journal would hide rows
                // from `history` (or only cost reads): stale or edited.
                if let journal = content.table("journal"),
                    let listed = ArchiveMemberIndex.members(archivePath: path, archiveSHA256: record.fileSHA256),
                    listed != Set(journal.texts("member_id").compactMap { $0 })
                {
                    problems.append(
                        "\(ArchiveMemberIndex.path(ofArchive: path)): lists other members than the archive's journal rows (edited?); delete it, and `loyalty ledger history` writes it again"
                    )
                }
                let summaries = LedgerStore.summaryTables.reduce(0) { $0 + (counts[$1.name] ?? 0) }
                if Int64(summaries) != max(record.summaryRows, 0) {
                    problems.append("\(path): the cycle summaries hold \(summaries) rows, the shard recorded \(max(record.summaryRows, 0))")
                }
            } catch {
                problems.append(error.description)
            }
        }
        // The archived totals the shard's totals read, against the files they were summed from.
        if problems.isEmpty {
            let (stored, summed) = (try store.archivedTotals(), try store.archivedTotalsFromFiles())
            if stored.partners != summed.partners {
                problems.append("archived_partner_totals differ from the partner_stats the archive files hold")
            }
            if stored.debts != summed.debts { problems.append("archived_debt_totals differ from the debts the archive files hold") }
        }
        return problems
    }

    private static func entry(_ table: ArchiveContent.Table, _ row: [ArchiveContent.Value], archive: String?) -> JournalEntryView {
        func integer(_ column: String) -> Int64? { table.value(column, in: row)?.integer }
        func text(_ column: String) -> String? { table.value(column, in: row)?.text }
        let kind = integer("kind").flatMap(TransactionKind.init(rawValue:))
        return JournalEntryView(
            offset: integer("offset") ?? -1, partnerId: text("partner_id") ?? "", partnerTxnId: text("partner_txn_id") ?? "",
            memberId: text("member_id") ?? "", kind: kind?.name ?? "unknown", status: text("status") ?? "", reason: text("reason"),
            detail: text("detail") ?? "", pointsDelta: integer("points_delta") ?? 0, balanceAfter: integer("balance_after") ?? 0,
            eventTimeMilliseconds: integer("event_time"), archive: archive)
    }
}
