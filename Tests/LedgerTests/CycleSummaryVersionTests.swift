import Foundation
import Programme
import Testing

@testable import Ledger

/// `archive_cycle_summaries` switched by programme versions through the log, as a ledger
/// turns it on in production: on, off and on again, every position and total stays that
/// of a ledger that archives nothing, and a rebuild from the same log writes the same files.
@Suite struct CycleSummaryVersionTests {
    static func release(_ version: String, summaries: Bool) throws -> ProgrammeRelease {
        try ProgrammeVersionTests.release(HorizonVersionTests.json(version: version, horizon: 20, window: 20, summaries: summaries))
    }

    @Test func onOffAndOnAgainThroughTheLog() throws {
        let base = try Programme.decode(jsonData: Data(HorizonVersionTests.json(version: "2026-11-01", horizon: 20, window: 20).utf8))
        let live = try Harness(programme: base)
        let rebuild = try Harness(programme: base)
        let plain = try Harness(programme: .sample)
        var history = SteadyHistory(seed: 53, partners: ["hotel", "grocery", "fuel"])
        // The versions' offsets; the plain ledger reads an inquiry there instead.
        let switches = [
            30: try Self.release("2026-12-01", summaries: true), 55: try Self.release("2027-01-01", summaries: false),
            75: try Self.release("2027-02-01", summaries: true),
        ]
        var lastSummaries: [Int: Int64] = [:]
        for day in 0..<100 {
            if let release = switches[day] {
                let offset = history.offset
                history.offset += 1
                for shard in [live, rebuild] { _ = try shard.shard.apply([LedgerEntry(offset: offset, kind: .programme(release))], batchSize: 1) }
                _ = try plain.shard.apply([LedgerEntry(offset: offset, kind: .inquiry(memberId: "m1", atMilliseconds: Clock.t0))], batchSize: 1)
            }
            let entries = history.nextDay()
            _ = try live.shard.apply(entries, batchSize: 97)
            _ = try rebuild.shard.apply(entries, batchSize: 1_000)
            _ = try plain.shard.apply(entries, batchSize: 1_000)
            lastSummaries[day] = try live.shard.archives().last?.summaryRows
        }
        #expect(live.shard.programme.version == "2027-02-01")
        // On from day 30: the first archive after it took cycle 0 on; off from 55: none took
        // any until the third version, whose first archive took the cycles left behind.
        let archives = try live.shard.archives()
        let taking = archives.filter { $0.summaryRows >= 0 }
        #expect(taking.count > 30 && archives.count - taking.count > 10)
        #expect(lastSummaries[29] == -1 && lastSummaries[40]! >= 0 && lastSummaries[65] == -1 && lastSummaries[90]! >= 0)
        #expect(try CycleSummaryArchiveTests.hotCycles(live.shard, "debts") <= 23)
        #expect(try live.shard.verifyArchives().isEmpty)

        func blanked(_ positions: [CyclePosition]) -> [CyclePosition] {
            CycleSummaryArchiveTests.blanked(positions).map {
                var position = $0
                position.programmeVersions = []
                return position
            }
        }
        let positions = try live.shard.positions()
        #expect(positions.count == 100)
        #expect(blanked(positions) == blanked(try plain.shard.positions()))
        #expect(try live.shard.totals() == plain.shard.totals())
        // The rebuild switched at the same offsets: the same archives, byte for byte.
        #expect(try rebuild.shard.archives() == archives)
        try ArchiveTests.expectSameArchiveFiles(live.shard, rebuild.shard)
        #expect(try rebuild.shard.positions() == positions)
    }
}
