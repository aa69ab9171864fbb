import Foundation
import Ledger
import LoyaltyTesting
import Programme
import SQLite
import Testing
import Worker

/// `loyalty ledger verify` and rebuild's cycle-by-cycle comparison of chained digests.
@Suite("ledger verify and rebuild's comparison")
struct LedgerVerifyTests {
    /// A small log with barriers: accruals and redemptions of a few members, a barrier
    /// every 40 entries. `bump` adds a point to the redemption at that offset.
    static func entries(bump: Int64? = nil) -> [LedgerEntry] {
        var entries: [LedgerEntry] = []
        var cycle: Int64 = 0
        let partners = Programme.sample.partners.map(\.id)
        for offset in Int64(0)..<400 {
            let time = Int64(1_767_225_600_000) + offset * 60_000
            if offset % 40 == 39 {
                entries.append(LedgerEntry(offset: offset, kind: .barrier(cycle: cycle, closedAtMilliseconds: time)))
                cycle += 1
                continue
            }
            let member = "m\(offset % 7)"
            let partner = partners[Int(offset) % partners.count]
            let body: Transaction.Body =
                offset % 5 == 4
                ? .redemption(points: 3 + (offset == bump ? 1 : 0)) : .accrual(amountMinor: 10_000, currency: "EUR", category: "any")
            let transaction = Transaction(
                partnerId: partner, partnerTxnId: "t\(offset)", memberId: member, eventTimeMilliseconds: time, body: body)
            entries.append(LedgerEntry(offset: offset, kind: .transaction(transaction)))
        }
        return entries
    }

    static func shard(in directory: String, _ entries: [LedgerEntry]) throws -> Shard {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let shard = try Shard(
            path: WorkerConfiguration.shardPath(dataDirectory: directory, partition: 0), partition: 0, programme: .sample)
        _ = try shard.apply(LedgerBatch(entries: entries, nextOffset: Int64(entries.count))) { _ in }
        return shard
    }

    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        try await exited(process, timeoutSeconds: 120)
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("verify prints the full digest Shard.digest() gives and the chain head; a damaged cycle row is named")
    func verifyPrintsTheFullDigestAndFindsDamage() async throws {
        let data = NSTemporaryDirectory() + "ledger-verify-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let shard = try Self.shard(in: data, Self.entries())
        let full = try shard.digest()
        let positions = try shard.positions()
        shard.close()
        #expect(positions.count == 10)

        let good = try await Self.run(["ledger", "verify", "--programme", sampleProgrammePath, "--data", data])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("partition 0: next offset 400, full digest \(full)"), "\(good.output)")
        #expect(good.output.contains("last sealed cycle 9 (10 sealed), digest \(positions.last!.ledgerDigest)"), "\(good.output)")
        #expect(good.output.contains("  ok"))

        let db = try SQLiteDatabase(path: WorkerConfiguration.shardPath(dataDirectory: data, partition: 0))
        try db.execute("UPDATE cycles SET ledger_digest = '' WHERE cycle = 4")
        db.close()
        let bad = try await Self.run(["ledger", "verify", "--programme", sampleProgrammePath, "--data", data])
        #expect(bad.status != 0)
        #expect(bad.output.contains("PROBLEM: cycle 4: ledger_digest \"\" is not a SHA-256 in hex"), "\(bad.output)")
    }

    @Test("rebuild's comparison names the first cycle whose chained digest differs")
    func rebuildNamesTheFirstDifferingCycle() throws {
        let root = NSTemporaryDirectory() + "ledger-compare-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let live = try Self.shard(in: root + "/live", Self.entries())
        defer { live.close() }
        let same = try Self.shard(in: root + "/same", Self.entries())
        defer { same.close() }
        // Offset 124 is a redemption in cycle 3 (offsets 120...159).
        let changed = try Self.shard(in: root + "/changed", Self.entries(bump: 124))
        defer { changed.close() }
        #expect(ShardRebuilder.firstDifference(live: try live.positions(), rebuilt: try same.positions()) == nil)
        let difference = try #require(ShardRebuilder.firstDifference(live: try live.positions(), rebuilt: try changed.positions()))
        #expect(difference.cycle == 3)
        #expect(difference.live == (try live.positions()[3].ledgerDigest))
        // A rebuild that stopped short sealed fewer cycles: the first it lacks is named.
        let short = try Self.shard(in: root + "/short", Array(Self.entries().prefix(200)))
        defer { short.close() }
        let missing = try #require(ShardRebuilder.firstDifference(live: try live.positions(), rebuilt: try short.positions()))
        #expect(missing.cycle == 5 && missing.rebuilt == nil)
    }
}
