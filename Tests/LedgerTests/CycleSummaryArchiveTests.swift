import Foundation
import LedgerArchive
import LoyaltyTesting
import Programme
import SQLite
import Testing

@testable import Ledger

extension Programme {
    /// `self` with `archive_cycle_summaries` set.
    var archivingSummaries: Programme {
        var programme = self
        programme.archivesCycleSummaries = true
        return programme
    }
}

/// `archive_cycle_summaries` (docs/design.md, "Bounded hot state"): a sealed cycle's debts,
/// partner statistics, conversions and programme versions leave the hot tables with its
/// archive, and every answer (results, positions, totals, the ledger itself) stays what it
/// is with nothing archived.
@Suite struct CycleSummaryArchiveTests {
    static let programme = ArchiveTests.programme.archivingSummaries

    static func blanked(_ positions: [CyclePosition]) -> [CyclePosition] {
        positions.map {
            var position = $0
            position.ledgerDigest = ""
            return position
        }
    }

    static func hotCycles(_ shard: Shard, _ table: String) throws -> Int64 {
        try ArchiveTests.count(shard, "(SELECT DISTINCT cycle FROM \(table) WHERE cycle >= 0)")
    }

    @Test(.seeded(23)) func summariesLeaveWithTheirCyclesAndEveryAnswerStaysTheSame() throws {
        var history = SteadyHistory(seed: TestSeed.value)
        let summaries = try Harness(programme: Self.programme)
        let rowsOnly = try Harness(programme: ArchiveTests.programme)
        let plain = try Harness(programme: ArchiveTests.unbounded)
        try ArchiveTests.applyAlike(90, &history, summaries, plain, others: [rowsOnly])
        // Hot: the cycles inside the 20-day ages, and the last archive's until the next entry.
        #expect(try Self.hotCycles(plain.shard, "debts") > 80 && Self.hotCycles(plain.shard, "partner_stats") > 80)
        #expect(try Self.hotCycles(summaries.shard, "debts") <= 23 && Self.hotCycles(summaries.shard, "partner_stats") <= 23)
        #expect(try Self.hotCycles(summaries.shard, "cycle_programme_versions") <= 23)
        #expect(try Self.hotCycles(rowsOnly.shard, "debts") == Self.hotCycles(plain.shard, "debts"))
        let archives = try summaries.shard.archives()
        #expect(archives.count > 50 && archives.allSatisfy { $0.summaryRows >= 0 })
        #expect(try rowsOnly.shard.archives().allSatisfy { $0.summaryRows == -1 })
        #expect(try summaries.shard.verifyArchives().isEmpty)
        #expect(try summaries.shard.verify().problems.isEmpty)

        // Positions read back from the archives, totals summed over them.
        let positions = try summaries.shard.positions()
        #expect(positions.count == 90)
        #expect(Self.blanked(positions) == Self.blanked(try plain.shard.positions()))
        #expect(positions.map(\.ledgerDigest) != (try rowsOnly.shard.positions()).map(\.ledgerDigest))
        #expect(try summaries.shard.totals() == plain.shard.totals())
        #expect(try summaries.shard.lastPosition() == positions.last)

        // A stale barrier of an archived cycle republishes its position as sealed.
        let stale = LedgerEntry(offset: history.offset, kind: .barrier(cycle: 5, closedAtMilliseconds: Clock.t0 + 6 * Clock.day))
        let republished = try summaries.shard.apply([stale], batchSize: 1)
        #expect(republished == [LedgerOutput.position(positions[5])])
        _ = try plain.shard.apply([stale], batchSize: 1)
        #expect(!positions[5].debts.isEmpty && !positions[5].points.isEmpty && !positions[5].programmeVersions.isEmpty)

        // The totals of what left are kept beside the hot tables; verify sums the files again.
        #expect(try ArchiveTests.count(summaries.shard, "archived_partner_totals") == 3)
        try summaries.shard.db.execute("UPDATE archived_debt_totals SET amount_minor = amount_minor + 1 WHERE payer = 'alpha'")
        #expect(try summaries.shard.totals() != plain.shard.totals())
        #expect(try summaries.shard.verifyArchives() == ["archived_debt_totals differ from the debts the archive files hold"])
        try summaries.shard.db.execute("UPDATE archived_debt_totals SET amount_minor = amount_minor - 1 WHERE payer = 'alpha'")
        #expect(try summaries.shard.verifyArchives().isEmpty)

        // Archives and hot tables hold the ledger applied with nothing archived.
        try ArchiveTests.restoreArchives(into: summaries.shard)
        #expect(try ArchiveTests.dump(summaries.shard) == ArchiveTests.dump(plain.shard))
    }

    @Test func otherBatchesAReopenWithRowsLeftAndNoBuildAheadArchiveTheSameBytes() throws {
        var history = SteadyHistory(seed: 41)
        let reopened = try Harness(programme: Self.programme)
        let straight = try Harness(programme: Self.programme)
        straight.shard.store.buildsArchivesAhead = false
        var reopenings = 0
        for index in 0..<60 {
            let day = history.nextDay()
            let before = try reopened.shard.store.archivedThrough()
            let a = try reopened.shard.apply(day, batchSize: index % 2 == 0 ? 13 : 1_000)
            #expect(a == (try straight.shard.apply(day, batchSize: 1_000)), "day \(index)")
            if try reopened.shard.store.archivedThrough() > before, index % 3 == 0 {
                // Its summaries are still hot: the plan read back says to delete them too.
                #expect(try reopened.shard.store.readArchivedRowsLeft()?.plan.summariesFrom != nil)
                try reopened.reopen()
                reopenings += 1
            }
        }
        #expect(reopenings > 5)
        _ = try reopened.shard.apply(Array(history.nextDay().prefix(1)), batchSize: 1)
        #expect(try reopened.shard.archives() == straight.shard.archives())
        try ArchiveTests.expectSameArchiveFiles(reopened.shard, straight.shard)
        #expect(try reopened.shard.positions() == straight.shard.positions())
        #expect(try Self.hotCycles(reopened.shard, "debts") <= 22)
    }

    @Test func turnedOnLaterTheNextArchiveTakesTheSummariesLeftBehind() throws {
        var history = SteadyHistory(seed: 43)
        let h = try Harness(programme: ArchiveTests.programme)
        let plain = try Harness(programme: ArchiveTests.unbounded)
        for _ in 0..<45 {
            let day = history.nextDay()
            _ = try h.shard.apply(day, batchSize: 1_000)
            _ = try plain.shard.apply(day, batchSize: 1_000)
        }
        #expect(try Self.hotCycles(h.shard, "debts") > 40)
        h.shard.close()
        h.shard = try Shard(path: h.path, partition: 3, programme: Self.programme)
        for _ in 0..<3 {
            let day = history.nextDay()
            _ = try h.shard.apply(day, batchSize: 1_000)
            _ = try plain.shard.apply(day, batchSize: 1_000)
        }
        let records = try h.shard.archives()
        let first = try #require(records.first { $0.summaryRows >= 0 })
        let before = records.filter { $0.cycle < first.cycle }
        #expect(!before.isEmpty && before.allSatisfy { $0.summaryRows == -1 })
        // The first archive with summaries took every sealed cycle's through its range.
        let content = try ArchiveFile.read(h.shard.archiveDirectory + "/" + first.file)
        let cycles = Set(content.table("debts")!.rows.compactMap { $0[0].integer })
        #expect(cycles.min() == 0 && cycles.count > 20)
        #expect(try Self.hotCycles(h.shard, "debts") <= 23)
        #expect(Self.blanked(try h.shard.positions()) == Self.blanked(try plain.shard.positions()))
        #expect(try h.shard.totals() == plain.shard.totals())
    }

    @Test func conversionsLeaveWithTheirCycles() throws {
        var exchange = Programme.withExchange
        exchange.idempotencyHorizonDays = 20
        exchange.reversalWindowDays = 20
        let h = try Harness(programme: exchange.archivingSummaries)
        let plain = try Harness(programme: .withExchange)
        for day in 0..<60 {
            let time = Clock.t0 + Int64(day) * Clock.day
            func transaction(_ partner: String, _ id: String, _ body: Transaction.Body, _ details: Transaction.Details = .init()) -> LedgerEntry.Kind
            {
                .transaction(
                    Transaction(
                        partnerId: partner, partnerTxnId: id, memberId: "m\(day % 4)", eventTimeMilliseconds: time + 1_000, body: body,
                        details: details))
            }
            let kinds: [LedgerEntry.Kind] = [
                transaction("alpha", "a\(day)", accrual(200_000)),
                transaction("air", "x\(day)", .redemption(points: 1_000), external("FF-\(day % 4)")),
                .barrier(cycle: Int64(day), closedAtMilliseconds: time + Clock.day),
            ]
            let a = try h.run(kinds).map(ArchiveTests.withoutDigest)
            #expect(a == (try plain.run(kinds)).map(ArchiveTests.withoutDigest), "day \(day)")
        }
        #expect(try ArchiveTests.count(plain.shard, "conversions") == 60)
        #expect(try ArchiveTests.count(h.shard, "conversions") <= 23)
        let positions = try h.shard.positions()
        #expect(positions.allSatisfy { $0.conversions.count == 1 })
        #expect(Self.blanked(positions) == Self.blanked(try plain.shard.positions()))
        #expect(try h.shard.verifyArchives().isEmpty)
    }

    @Test func aMissingArchiveIsNamedWhenAPositionNeedsIt() throws {
        var history = SteadyHistory(seed: 47)
        let h = try Harness(programme: Self.programme)
        for _ in 0..<40 { _ = try h.shard.apply(history.nextDay(), batchSize: 1_000) }
        let record = try #require(try h.shard.archives().first)
        try FileManager.default.removeItem(atPath: h.shard.archiveDirectory + "/" + record.file)
        #expect {
            _ = try h.shard.positions()
        } throws: { error in
            "\(error)".contains(record.file) && "\(error)".contains("cycle summaries")
        }
        // The cycles it did not hold still answer.
        #expect(try h.shard.lastPosition() != nil)
    }
}
