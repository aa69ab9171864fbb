import Basics
import Foundation
import LedgerArchive
import LoyaltyTesting
import Programme
import SQLite
import Testing

@testable import Ledger

/// Synthetic history that keeps every transaction id unique within the horizon and every
/// reversal inside the window (the contract partners keep): a day of `perDay` entries,
/// then a barrier closing at the day's end. Applied with or without a horizon, it must
/// give the same results.
struct SteadyHistory {
    var random: SplitMix64
    var day = 0
    var offset: Int64 = 0
    var sequence = 0
    let perDay: Int
    let partners: [String]
    /// Recent accruals and redemptions (time, partner, id, member, amount).
    var recent: [(time: Int64, partner: String, id: String, member: String, amount: Int64, accrual: Bool)] = []

    init(seed: UInt64, perDay: Int = 40, partners: [String] = ["alpha", "beta", "gamma"]) {
        random = SplitMix64(seed: seed)
        self.perDay = perDay
        self.partners = partners
    }

    /// The next day's entries and its barrier.
    mutating func nextDay() -> [LedgerEntry] {
        let start = Clock.t0 + Int64(day) * Clock.day
        var entries: [LedgerEntry] = []
        recent.removeAll { $0.time < start - 8 * Clock.day }
        for index in 0..<perDay {
            let time = start + Int64(index) * (Clock.day / Int64(perDay + 1))
            entries.append(LedgerEntry(offset: offset, kind: entry(at: time)))
            offset += 1
        }
        entries.append(LedgerEntry(offset: offset, kind: .barrier(cycle: Int64(day), closedAtMilliseconds: start + Clock.day)))
        offset += 1
        day += 1
        return entries
    }

    private mutating func entry(at time: Int64) -> LedgerEntry.Kind {
        sequence += 1
        let roll = random.below(100)
        let member = "m\(random.below(30))"
        let partner = partners[random.below(partners.count)]
        func tx(_ partner: String, _ id: String, _ member: String, _ time: Int64, _ body: Transaction.Body) -> LedgerEntry.Kind {
            .transaction(Transaction(partnerId: partner, partnerTxnId: id, memberId: member, eventTimeMilliseconds: time, body: body))
        }
        let accruals = recent.filter(\.accrual)
        let redemptions = recent.filter { !$0.accrual }
        switch roll {
        case 0..<3 where !recent.isEmpty:
            // A retry: the same transaction, at its own event time.
            let r = recent[random.below(recent.count)]
            return tx(r.partner, r.id, r.member, r.time, r.accrual ? accrual(r.amount) : .redemption(points: r.amount))
        case 3..<5: return .deadLetter(reason: "undecodable #\(sequence)")
        case 5..<7: return .inquiry(memberId: member, atMilliseconds: time)
        case 7..<14 where !accruals.isEmpty:
            let a = accruals[random.below(accruals.count)]
            let body = Transaction.Body.refund(originalPartnerTxnId: a.id, amountMinor: Int64(1 + random.below(Int(a.amount / 3))), currency: "EUR")
            return tx(a.partner, "t\(sequence)", a.member, time, body)
        case 14..<19 where !redemptions.isEmpty:
            let r = redemptions[random.below(redemptions.count)]
            return tx(r.partner, "t\(sequence)", r.member, time, .cancel(originalPartnerTxnId: r.id))
        case 19..<40:
            let points = Int64(1 + random.below(300))
            recent.append((time, partner, "t\(sequence)", member, points, false))
            return tx(partner, "t\(sequence)", member, time, .redemption(points: points))
        default:
            let amount = Int64(100 + random.below(20_000))
            recent.append((time, partner, "t\(sequence)", member, amount, true))
            return tx(partner, "t\(sequence)", member, time, accrual(amount))
        }
    }
}

/// Archives at barriers: nothing lost (hot tables ∪ archives = the ledger applied with no
/// horizon), deterministic files, crash-safe ordering, hot state flat as history grows.
@Suite struct ArchiveTests {
    /// Horizon and window 20 days, lots expire after a month.
    static let programme = Programme.withHorizon(20, window: 20, expiryMonths: 1)
    static let unbounded = Programme.withHorizon(20, window: 20, expiryMonths: 1).withoutHorizons

    /// An output with its position's chained digest blanked (archives are folded into it).
    static func withoutDigest(_ output: LedgerOutput) -> LedgerOutput {
        guard case .position(var position) = output else { return output }
        position.ledgerDigest = ""
        return .position(position)
    }

    /// `count` days of `SteadyHistory(seed:)` (and the history, to go on with) and two
    /// fresh shards of `programme`, for the tests that apply the same days to both.
    static func twoShards(seed: UInt64, days count: Int) throws -> (history: SteadyHistory, days: [[LedgerEntry]], Harness, Harness) {
        var history = SteadyHistory(seed: seed)
        let days = (0..<count).map { _ in history.nextDay() }
        return (history, days, try Harness(programme: programme), try Harness(programme: programme))
    }

    /// Applies `count` days of `history` to `bounded` (in batches of 97) and `plain` (of
    /// 1,000), and to `others` (of 1,000): `bounded`'s results and positions, digests
    /// aside, must be `plain`'s every day.
    static func applyAlike(_ count: Int, _ history: inout SteadyHistory, _ bounded: Harness, _ plain: Harness, others: [Harness] = []) throws {
        for _ in 0..<count {
            let day = history.nextDay()
            let a = try bounded.shard.apply(day, batchSize: 97).map(Self.withoutDigest)
            let b = try plain.shard.apply(day, batchSize: 1_000).map(Self.withoutDigest)
            let same = a == b
            #expect(same, "day \(history.day): results or positions differ from the ledger that archives nothing")
            for other in others { _ = try other.shard.apply(day, batchSize: 1_000) }
        }
    }

    /// Every archive file `a` recorded has the same bytes in `b`'s directory.
    static func expectSameArchiveFiles(_ a: Shard, _ b: Shard) throws {
        for record in try a.archives() {
            #expect(
                FileManager.default.contents(atPath: a.archiveDirectory + "/" + record.file)
                    == FileManager.default.contents(atPath: b.archiveDirectory + "/" + record.file), "\(record.file)")
        }
    }

    /// Turns `h`'s file back into an older schema with `sql` (closed, changed, reopened:
    /// the migrations after that version run again).
    static func rewind(_ h: Harness, _ sql: String) throws {
        h.shard.close()
        let db = try SQLiteDatabase(path: h.path)
        try db.execute(sql)
        db.close()
        try h.reopen()
    }

    /// The rows of `sql`, two integer columns each, as "a b" lines.
    static func pairs(_ shard: Shard, _ sql: String) throws -> [String] {
        let s = try shard.db.prepareDynamic(sql)
        defer { s.reset() }
        var rows: [String] = []
        while try s.step() { rows.append("\(s.int64(0)) \(s.int64(1))") }
        return rows
    }

    /// A file turned back into an older schema by `rewind` in the middle of day `day` (so
    /// that its open cycle has rows) migrates to the `rows` a file that never was there
    /// holds, then applies the rest of the history (the straight one in batches of
    /// `straightBatch`) and ends with the same archives, positions and `rows`. `check` sees
    /// the expected rows and the straight shard first. The two shards, for more checks.
    @discardableResult
    static func expectMigratesMidDay(
        seed: UInt64, days count: Int, at day: Int, rows sql: String, rewind rewindSQL: String, straightBatch: Int = 1_000,
        check: (_ expected: [String], _ straight: Shard) throws -> Void
    ) throws -> (migrated: Harness, straight: Harness) {
        let (_, days, migrated, straight) = try twoShards(seed: seed, days: count)
        let half = Array(days[day].prefix(days[day].count / 2))
        for entries in days[..<day] + [half] {
            try migrated.shard.apply(entries, batchSize: 1_000)
            try straight.shard.apply(entries, batchSize: 1_000)
        }
        let expected = try pairs(straight.shard, sql)
        try check(expected, straight.shard)
        try rewind(migrated, rewindSQL)
        #expect(try pairs(migrated.shard, sql) == expected)
        for entries in [Array(days[day].dropFirst(half.count))] + days[(day + 1)...] {
            try migrated.shard.apply(entries, batchSize: 1_000)
            try straight.shard.apply(entries, batchSize: straightBatch)
        }
        #expect(try migrated.shard.archives() == straight.shard.archives())
        #expect(try migrated.shard.positions() == straight.shard.positions())
        #expect(try pairs(migrated.shard, sql) == pairs(straight.shard, sql))
        return (migrated, straight)
    }

    static func count(_ shard: Shard, _ table: String, where condition: String = "1") throws -> Int64 {
        let s = try shard.db.prepareDynamic("SELECT COUNT(*) FROM \(table) WHERE \(condition)")
        defer { s.reset() }
        _ = try s.step()
        return s.int64(0)
    }

    /// Every ledger table as text rows in primary-key order, leaving out what differs by
    /// design: the chained digests (an archive is folded into its cycle's) and the shard
    /// row's chain state.
    static func dump(_ shard: Shard) throws -> [String: [String]] {
        let tables: [(String, String, String)] = [
            ("shard", "partition, next_offset, last_sealed_cycle, open_first_offset, open_accepted, open_rejected", "id"),
            ("members", "member_id, balance, shortfall", "member_id"),
            // The ledger's columns: spent_first_offset is a hint of the queue's (migration 20).
            ("lots", Schema.digestTables.first { $0.name == "lots" }!.columns, "lot_id"),
            ("journal", LedgerStore.archivedJournal.columns.map { "\"\($0)\"" }.joined(separator: ", "), "partner_id, partner_txn_id"),
            ("portions", "*", "redemption_offset, lot_id"),
            ("debts", "*", "cycle, payer, payee"),
            ("partner_stats", "*", "cycle, partner_id"),
            ("cycles", "cycle, first_offset, barrier_offset, closed_at, accepted, rejected, duplicates, dead_letters", "cycle"),
            ("dead_letters", "*", "offset"),
        ]
        var dump: [String: [String]] = [:]
        for (table, columns, order) in tables {
            let s = try shard.db.prepareDynamic("SELECT \(columns) FROM \(table) ORDER BY \(order)")
            defer { s.reset() }
            while try s.step() {
                dump[table, default: []].append((0..<s.columnCount).map { "\(s.value($0))" }.joined(separator: "|"))
            }
        }
        return dump
    }

    /// Puts every archived row back into the shard's tables (a copy's): the ledger as if
    /// nothing had been archived.
    static func restoreArchives(into shard: Shard) throws {
        for record in try shard.archives() {
            let content = try ArchiveFile.read(shard.archiveDirectory + "/" + record.file, expectedSHA256: record.fileSHA256)
            for table in content.tables where table.name != "range" {
                let columns = table.columns.map { "\"\($0)\"" }.joined(separator: ", ")
                let marks = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
                // REPLACE: the last archive's rows are still in the table until the entry
                // after its barrier (`LedgerStore+ArchivedRows`).
                let insert = try shard.db.prepareDynamic("INSERT OR REPLACE INTO \(table.name) (\(columns)) VALUES (\(marks))")
                for row in table.rows {
                    for (index, value) in row.enumerated() {
                        switch value {
                        case .null: insert.bindNull(Int32(index + 1))
                        case .integer(let v): insert.bindInteger(Int32(index + 1), v)
                        case .text(let t): insert.bindText(Int32(index + 1), t)
                        }
                    }
                    try insert.run()
                }
            }
        }
    }

    @Test(.seeded(11)) func hotTablesAndArchivesReproduceTheLedgerAppliedWithoutHorizon() throws {
        var history = SteadyHistory(seed: TestSeed.value)
        let bounded = try Harness(programme: Self.programme)
        let plain = try Harness(programme: Self.unbounded)
        try Self.applyAlike(90, &history, bounded, plain)
        let archives = try bounded.shard.archives()
        #expect(archives.count > 50)
        #expect(try bounded.shard.verifyArchives().isEmpty)
        let (hotJournal, allJournal) = (try Self.count(bounded.shard, "journal"), try Self.count(plain.shard, "journal"))
        let (hotLots, allLots) = (try Self.count(bounded.shard, "lots"), try Self.count(plain.shard, "lots"))
        #expect(hotJournal < allJournal / 3)
        #expect(hotLots < allLots)
        // A member's history from archives and hot journal is the unbounded journal's.
        let member = try bounded.shard.history(ofMember: "m7")
        #expect(member.contains { $0.archive != nil } && member.contains { $0.archive == nil })
        #expect(member.map(\.offset) == (try plain.shard.history(ofMember: "m7")).map(\.offset))
        #expect(member.map(\.partnerTxnId) == (try plain.shard.history(ofMember: "m7")).map(\.partnerTxnId))

        try Self.restoreArchives(into: bounded.shard)
        #expect(try Self.dump(bounded.shard) == Self.dump(plain.shard))
    }

    @Test func aCrashBetweenTheFileAndTheCommitLosesNothingAndTheRetryWritesTheSameBytes() throws {
        var history = SteadyHistory(seed: 5)
        let h = try Harness(programme: Self.programme)
        for _ in 0..<25 { try h.shard.apply(history.nextDay(), batchSize: 1_000) }
        let day = history.nextDay()
        let before = try Self.dump(h.shard)
        let archivesBefore = try h.shard.archives()
        let hotBefore = try Self.count(h.shard, "journal", where: LedgerStore.hotOffsets)
        struct PublishFailed: Error {}
        #expect(throws: PublishFailed.self) {
            _ = try h.shard.apply(LedgerBatch(entries: day, nextOffset: day.last!.offset + 1)) { _ in throw PublishFailed() }
        }
        // The file was written before the commit that failed; the rows are all still hot.
        #expect(try Self.dump(h.shard) == before)
        #expect(try h.shard.archives() == archivesBefore)
        let name = LedgerStore.archiveFileName(cycle: 25)
        let path = h.shard.archiveDirectory + "/" + name
        let written = try #require(FileManager.default.contents(atPath: path))
        let outputs = try h.shard.apply(LedgerBatch(entries: day, nextOffset: day.last!.offset + 1)) { _ in }
        #expect(FileManager.default.contents(atPath: path) == written)
        let record = try #require(try h.shard.archives().last)
        #expect(record.file == name && record.journalRows > 0)
        // Every row is either hot or in an archive: none lost, none twice.
        let journaled = outputs.filter {
            if case .result(_, _, let outcome, _, _) = $0 { outcome.status != .duplicate } else { false }
        }.count
        #expect(try Self.count(h.shard, "journal", where: LedgerStore.hotOffsets) == hotBefore + Int64(journaled) - record.journalRows)
    }

    @Test func aRolledBackBatchOfManyArchivingBarriersIsRetriedWithTheSameResults() throws {
        let (after, days, retried, once) = try Self.twoShards(seed: 21, days: 40)
        var history = after
        for day in days {
            try retried.shard.apply(day, batchSize: 1_000)
            try once.shard.apply(day, batchSize: 1_000)
        }
        // Repeats of the transactions the next barriers archive (19 to 21 days old), then
        // 30 more days with an archive at every barrier, all in one batch.
        var batch: [LedgerEntry] = []
        for entry in days[19...21].joined() {
            guard case .transaction = entry.kind else { continue }
            batch.append(LedgerEntry(offset: history.offset, kind: entry.kind))
            history.offset += 1
        }
        for _ in 0..<30 { batch += history.nextDay() }
        let whole = LedgerBatch(entries: batch, nextOffset: history.offset)
        struct PublishFailed: Error {}
        #expect(throws: PublishFailed.self) { _ = try retried.shard.apply(whole) { _ in throw PublishFailed() } }
        let again = try retried.shard.apply(whole) { _ in }
        let expected = try once.shard.apply(whole) { _ in }
        #expect(again == expected)
        #expect(again.contains { if case .result(_, _, let o, _, _) = $0 { o.status == .duplicate } else { false } })
        #expect(try retried.shard.archives() == once.shard.archives())
    }

    @Test func aRebuildFromTheLogWritesByteIdenticalArchives() throws {
        let (_, days, a, b) = try Self.twoShards(seed: 9, days: 30)
        for day in days { try a.shard.apply(day, batchSize: 1_000) }
        try b.shard.apply(days.flatMap { $0 }, batchSize: 7)
        #expect(try a.shard.archives() == b.shard.archives())
        #expect(try a.shard.positions() == b.shard.positions())
        try Self.expectSameArchiveFiles(a.shard, b.shard)
    }

    /// Migration 16: a lot a redemption empties again loses its older spent_lots rows.
    /// Every barrier archives the same lots as with the older rows kept (the rule before),
    /// so positions, archive records and files are the same; only the queue is shorter.
    @Test func droppingALotsOlderSpentRowsArchivesTheSameLotsAtTheSameBarriers() throws {
        let (_, days, dropping, keeping) = try Self.twoShards(seed: 21, days: 120)
        keeping.shard.store.dropsOlderSpentRows = false
        var fewer = 0
        for day in days {
            try dropping.shard.apply(day, batchSize: 53)
            try keeping.shard.apply(day, batchSize: 1_000)
            fewer = max(fewer, Int(try Self.count(keeping.shard, "spent_lots") - Self.count(dropping.shard, "spent_lots")))
        }
        let archives = try dropping.shard.archives()
        #expect(archives.contains { $0.lotRows > 0 })
        #expect(archives == (try keeping.shard.archives()))
        #expect(try dropping.shard.positions() == keeping.shard.positions())
        #expect(try dropping.shard.digest() == keeping.shard.digest())
        try Self.expectSameArchiveFiles(dropping.shard, keeping.shard)
        // The workload empties lots again after a cancel, so some older rows did go.
        #expect(fewer > 0, "no lot was emptied again by a redemption: the test exercises nothing")
        #expect(try Self.count(dropping.shard, "spent_lots") <= Self.count(keeping.shard, "spent_lots"))
    }

    /// The next barrier's archive is built off the writer's thread once the barrier before
    /// it commits (`ArchiveAhead`). The files, records and positions are those of a shard
    /// that builds every file at its barrier; a barrier whose cycle was not the one guessed
    /// builds its own, and the guessed file stays unlisted. (Debug builds also compare
    /// each file taken ahead with one built at the barrier.)
    @Test func archivesBuiltAheadAreTheFilesTheirBarriersWouldBuild() throws {
        var history = SteadyHistory(seed: 17)
        // Every tenth barrier skips a cycle number: the guess (the last sealed + 1) misses.
        let days = (0..<70).map { _ in
            history.nextDay().map { entry in
                guard case .barrier(let cycle, let closedAt, let suspended) = entry.kind else { return entry }
                return LedgerEntry(
                    offset: entry.offset, kind: .barrier(cycle: cycle + cycle / 10, closedAtMilliseconds: closedAt, accrualSuspended: suspended))
            }
        }
        let ahead = try Harness(programme: Self.programme)
        let here = try Harness(programme: Self.programme)
        here.shard.store.buildsArchivesAhead = false
        for day in days {
            try ahead.shard.apply(day, batchSize: 1_000)
            try here.shard.apply(day, batchSize: 41)
        }
        let archives = try ahead.shard.archives()
        #expect(archives.count > 40)
        #expect(archives == (try here.shard.archives()))
        #expect(try ahead.shard.positions() == here.shard.positions())
        #expect(here.shard.store.archivesTakenAhead == 0)
        #expect(ahead.shard.store.archivesTakenAhead > 30, "the barriers built their files themselves: nothing was built ahead")
        #expect(ahead.shard.store.archivesTakenAhead < archives.count, "no guess missed: the fallback was not exercised")
        try Self.expectSameArchiveFiles(ahead.shard, here.shard)
        // Builds no barrier took (guesses that missed, the barrier after the last) stay
        // unlisted: names no barrier recorded.
        ahead.shard.close()
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: ahead.shard.archiveDirectory).filter { $0.hasSuffix(".archive") })
        let recorded = Set(archives.map(\.file))
        #expect(recorded.isSubset(of: files))
        #expect(files.subtracting(recorded).count == ahead.shard.store.archivesBuiltAhead - ahead.shard.store.archivesTakenAhead)
    }

    /// The rows an archive holds leave the hot tables before the first entry after its
    /// barrier, not inside it (`LedgerStore+ArchivedRows`). Against a shard whose barriers
    /// delete them themselves, in other batches, reopened while rows are left and with a
    /// batch rolled back after it deleted them: the same results and positions (digests
    /// included) at every entry, the same archives, and after the entry that follows the
    /// last barrier the same tables (whole-file digest). Right after a barrier the rows are
    /// still there, the tools do not show them twice, and the shard file says which.
    @Test func archivedRowsLeaveBeforeTheEntryAfterTheirBarrier() throws {
        let (after, days, later, inside) = try Self.twoShards(seed: 37, days: 60)
        var history = after
        inside.shard.store.deletesArchivedRowsLater = false
        var (reopened, rolledBack, archiving, deletions) = (0, 0, 0, 0)
        struct PublishFailed: Error {}
        for (index, day) in days.enumerated() {
            let archivedBefore = try later.shard.store.archivedThrough()
            if index % 7 == 3, archivedBefore >= 0 {
                // A batch that deleted the last archive's rows, rolled back: they are hot again.
                #expect(throws: PublishFailed.self) {
                    _ = try later.shard.apply(LedgerBatch(entries: Array(day.prefix(3)), nextOffset: day[2].offset + 1)) { _ in
                        throw PublishFailed()
                    }
                }
                #expect(try Self.count(later.shard, "journal", where: "offset <= \(archivedBefore)") > 0)
                rolledBack += 1
            }
            let a = try later.shard.apply(day, batchSize: index % 2 == 0 ? 1_000 : 13)
            let b = try inside.shard.apply(day, batchSize: 1_000)
            #expect(a == b, "day \(index): results or positions differ")
            let archived = try later.shard.store.archivedThrough()
            guard archived > archivedBefore else { continue }
            archiving += 1
            // This day's barrier archived: its rows are still in the table, only there.
            #expect(try Self.count(later.shard, "journal", where: "offset <= \(archived)") > 0)
            #expect(try Self.count(inside.shard, "journal", where: "offset <= \(archived)") == 0)
            #expect(try later.shard.store.readArchivedRowsLeft()?.plan.offsets.upperBound == archived)
            #expect(try later.shard.history(ofMember: "m3") == inside.shard.history(ofMember: "m3"))
            #expect(try later.shard.rejectionsByReason() == inside.shard.rejectionsByReason())
            if index % 5 == 0 {
                // Reopened with rows left: the lots to delete are read again from the queue.
                deletions += later.shard.store.archivedRowsDeletions
                try later.reopen()
                reopened += 1
            }
        }
        #expect(reopened > 3 && rolledBack > 3 && archiving > 30)
        #expect(try later.shard.archives() == inside.shard.archives())
        try Self.expectSameArchiveFiles(later.shard, inside.shard)
        // The entry after the last barrier: the rows leave, and the files are the same.
        let last = history.nextDay()
        let a = try later.shard.apply(Array(last.prefix(1)), batchSize: 1)
        #expect(a == (try inside.shard.apply(Array(last.prefix(1)), batchSize: 1)))
        #expect(try later.shard.store.readArchivedRowsLeft() == nil)
        // One deletion per archive (none twice, rolled-back ones aside).
        #expect(deletions + later.shard.store.archivedRowsDeletions >= archiving)
        #expect(try later.shard.digest() == inside.shard.digest())
        #expect(try Self.count(later.shard, "spent_lots") == Self.count(inside.shard, "spent_lots"))
    }

    /// A file built ahead that is gone by its barrier (deleted by hand, a disk replaced) is
    /// built again there: a barrier never records an archive whose file is not written.
    @Test func aFileBuiltAheadThatIsGoneIsBuiltAgainAtItsBarrier() throws {
        let (_, days, h, plain) = try Self.twoShards(seed: 31, days: 40)
        plain.shard.store.buildsArchivesAhead = false
        var removed = 0
        for (index, day) in days.enumerated() {
            // The build of this day's barrier ran after the previous one: remove its file
            // (once it is written: on a loaded machine the build may still be running).
            h.shard.store.archiveAhead.waitUntilBuilt()
            let recorded = Set(try h.shard.archives().map(\.file))
            let directory = h.shard.archiveDirectory
            let pending = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
                $0.hasSuffix(".archive") && !recorded.contains($0)
            }
            for name in pending where index % 3 == 0 {
                try FileManager.default.removeItem(atPath: h.shard.archiveDirectory + "/" + name)
                removed += 1
            }
            try h.shard.apply(day, batchSize: 1_000)
            try plain.shard.apply(day, batchSize: 1_000)
        }
        #expect(removed > 3, "no file built ahead was removed: the test exercises nothing")
        #expect(try h.shard.archives() == plain.shard.archives())
        #expect(try h.shard.verifyArchives().isEmpty)
        #expect(h.shard.store.archivesTakenAhead > 0)
    }

    /// Migration 17 keys the spent-lot queue by the first offset of the cycle that emptied
    /// the lot instead of the cycle (the open cycle as -1 until its seal). A file turned
    /// back into schema 16 mid-history (mid-cycle too: its open cycle has queued rows)
    /// migrates to the rows a file that never was at 16 holds, and archives the same
    /// lots, files and positions from then on.
    @Test func theSpentLotQueueMigratesToFirstOffsetsAndArchivesTheSame() throws {
        let (_, straight) = try Self.expectMigratesMidDay(
            seed: 29, days: 90, at: 45, rows: "SELECT first_offset, lot_id FROM spent_lots ORDER BY first_offset, lot_id",
            rewind: """
                CREATE TABLE spent_lots_v16 (cycle INTEGER NOT NULL, lot_id INTEGER NOT NULL, PRIMARY KEY (cycle, lot_id)) WITHOUT ROWID;
                INSERT INTO spent_lots_v16 SELECT COALESCE((SELECT c.cycle FROM cycles c WHERE c.first_offset = s.first_offset), -1), s.lot_id
                    FROM spent_lots s;
                DROP TABLE spent_lots;
                ALTER TABLE spent_lots_v16 RENAME TO spent_lots;
                CREATE INDEX spent_lots_by_lot ON spent_lots (lot_id);
                PRAGMA user_version = 16;
                """
        ) { expected, straight in
            let open = try straight.store.readShardRow().openFirstOffset
            #expect(expected.contains { $0.hasPrefix("\(open) ") }, "the open cycle queued nothing: the test exercises less")
        }
        #expect(try straight.shard.archives().contains { $0.lotRows > 0 })
    }

    /// Migration 20: lots.spent_first_offset is the key of the lot's newest queue row for
    /// every lot at 0 points, as the index it replaced would have answered. A file turned
    /// back into schema 19 (no column, the index back) mid-history gets the same values
    /// from its queue, and archives the same lots, files and positions from then on.
    @Test func spentFirstOffsetIsTheNewestQueueRowAndMigratesFromTheQueue() throws {
        let (_, days, migrated, straight) = try Self.twoShards(seed: 31, days: 100)
        func marks(_ shard: Shard) throws -> [String] {
            let s = try shard.db.prepare(
                "SELECT lot_id, spent_first_offset, (SELECT MAX(first_offset) FROM spent_lots q WHERE q.lot_id = lots.lot_id) FROM lots WHERE points_left = 0 ORDER BY lot_id"
            )
            defer { s.reset() }
            var rows: [String] = []
            while try s.step() {
                #expect(!s.isNull(1) && s.int64(1) == s.int64(2), "lot \(s.int64(0)): \(s.int64(1)) against its newest row \(s.int64(2))")
                rows.append("\(s.int64(0)) \(s.int64(1))")
            }
            return rows
        }
        for day in days[..<60] {
            try migrated.shard.apply(day, batchSize: 1_000)
            try straight.shard.apply(day, batchSize: 1_000)
        }
        let expected = try marks(straight.shard)
        #expect(expected.count > 100, "few lots at 0: the test exercises less")
        try Self.rewind(
            migrated,
            """
            ALTER TABLE lots DROP COLUMN spent_first_offset;
            CREATE INDEX spent_lots_by_lot ON spent_lots (lot_id);
            PRAGMA user_version = 19;
            """)
        #expect(try marks(migrated.shard) == expected)
        #expect(try Self.count(migrated.shard, "sqlite_master", where: "name = 'spent_lots_by_lot'") == 0)
        for day in days[60...] {
            try migrated.shard.apply(day, batchSize: 1_000)
            try straight.shard.apply(day, batchSize: 53)
        }
        _ = try marks(straight.shard)
        let archives = try straight.shard.archives()
        #expect(archives.contains { $0.lotRows > 0 })
        #expect(try migrated.shard.archives() == archives)
        #expect(try migrated.shard.positions() == straight.shard.positions())
        #expect(try marks(migrated.shard) == marks(straight.shard))
    }

    @Test func hotStateAndTheJournalKeysStayFlatOnceHistoryPassesTheHorizon() throws {
        var history = SteadyHistory(seed: 3)
        let h = try Harness(programme: Self.programme)
        var sizes: [Int: (journal: Int64, lots: Int64, portions: Int64, spent: Int64, keys: Int, hotJournal: Int64)] = [:]
        for day in 1...160 {
            try h.shard.apply(history.nextDay(), batchSize: 1_000)
            if day == 80 || day == 160 {
                sizes[day] = (
                    try Self.count(h.shard, "journal"), try Self.count(h.shard, "lots"), try Self.count(h.shard, "portions"),
                    try Self.count(h.shard, "spent_lots"), h.shard.store.journalKeys?.count ?? 0,
                    try Self.count(h.shard, "journal", where: LedgerStore.hotOffsets)
                )
            }
        }
        let early = try #require(sizes[80])
        let late = try #require(sizes[160])
        // 4× and 8× the horizon of history: the second holds twice the transactions, the
        // hot tables about the same rows.
        #expect(Double(late.journal) < 1.25 * Double(early.journal))
        #expect(Double(late.lots) < 1.25 * Double(early.lots))
        #expect(Double(late.portions) < 1.25 * Double(early.portions))
        #expect(Double(late.spent) < 1.25 * Double(max(early.spent, 1)) + 100)
        // Exactly the hot journal's keys: the archived ones left with their archive (the
        // last archive's rows are still in the table until the entry after its barrier).
        #expect(late.keys == Int(late.hotJournal) && late.hotJournal < late.journal)
        #expect(early.keys == Int(early.hotJournal) && early.hotJournal < early.journal)
    }

    @Test func archivesGoWhereTheShardIsToldAndTheHistoryReadsThemThere() throws {
        var history = SteadyHistory(seed: 13)
        let h = try Harness(programme: Self.programme)
        let elsewhere = h.directory.appendingPathComponent("durable/archive/partition-0003").path
        h.shard.close()
        h.shard = try Shard(path: h.path, partition: 3, programme: Self.programme, archiveDirectory: elsewhere)
        for _ in 0..<30 { try h.shard.apply(history.nextDay(), batchSize: 1_000) }
        let records = try h.shard.archives()
        #expect(!records.isEmpty)
        #expect(records.allSatisfy { FileManager.default.fileExists(atPath: elsewhere + "/" + $0.file) })
        let defaultDirectory = ArchiveLocation.directory(forShardPath: h.path, partition: 3)
        #expect(!FileManager.default.fileExists(atPath: defaultDirectory))
        #expect(try h.shard.verifyArchives().isEmpty)
        #expect(try h.shard.history(ofMember: "m3").contains { $0.archive != nil })
    }

    @Test func archiveFilesRoundTripAndRefuseDamage() throws {
        let content = ArchiveContent(tables: [
            ArchiveContent.Table(
                name: "journal", columns: ["a", "b", "c"], rows: [[.integer(-5), .text("é x"), .null], [.integer(.max), .text(""), .integer(0)]])
        ])
        let encoded = ArchiveFile.encode(content)
        #expect(ArchiveFile.encode(content).bytes == encoded.bytes)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ArchiveFile.writeDurably(encoded.bytes, name: "x.archive", directory: directory + "/p")
        #expect(try ArchiveFile.read(directory + "/p/x.archive", expectedSHA256: encoded.fileSHA256) == content)
        var damaged = encoded.bytes
        damaged[damaged.count - 3] ^= 0xff
        try ArchiveFile.writeDurably(damaged, name: "y.archive", directory: directory + "/p")
        #expect(throws: ArchiveError.self) { try ArchiveFile.read(directory + "/p/y.archive", expectedSHA256: encoded.fileSHA256) }
        #expect(throws: ArchiveError.self) { try ArchiveFile.read(directory + "/p/missing.archive") }
        // A damaged length (1 GiB for a few dozen bytes) is refused before it is allocated.
        var inflated = encoded.bytes
        let claimed: UInt64 = 1 << 30
        for index in 0..<8 { inflated[8 + index] = UInt8(truncatingIfNeeded: claimed >> UInt64(56 - 8 * index)) }
        try ArchiveFile.writeDurably(inflated, name: "z.archive", directory: directory + "/p")
        let refusal = #expect(throws: ArchiveError.self) { try ArchiveFile.read(directory + "/p/z.archive") }
        #expect(refusal?.reason.hasPrefix("content length 1073741824 is implausible") == true, "\(String(describing: refusal))")
    }
}

extension Programme {
    /// The same programme with neither horizon nor window (nothing archived, nothing refused).
    var withoutHorizons: Programme {
        var programme = self
        programme.idempotencyHorizonDays = nil
        programme.reversalWindowDays = nil
        return programme
    }
}
