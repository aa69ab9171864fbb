import Foundation
import LoyaltyTesting
import Programme
import SQLite
import Testing

@testable import Ledger

/// The chained digest sealed into each cycle's position (issue 11): O(cycle) to seal,
/// independent of batch boundaries and restarts, and a change anywhere changes its cycle's
/// digest and every later one.
@Suite(.timeLimit(.minutes(10)))
struct ChainDigestTests {
    static func digests(_ shard: Shard) throws -> [Int64: String] {
        Dictionary(uniqueKeysWithValues: try shard.positions().map { ($0.cycle, $0.ledgerDigest) })
    }

    @Test("batches of 1, 7 and 10,000 and a reopen mid-cycle seal equal chain digests", .seeded(11))
    func independentOfBatchesAndRestarts() throws {
        let entries = Workload.entries(seed: TestSeed.value, count: 2500)
        var chains: [[Int64: String]] = []
        var full: [String] = []
        for size in [1, 7, 10_000] {
            let h = try Harness()
            try h.shard.apply(entries, batchSize: size)
            chains.append(try Self.digests(h.shard))
            full.append(try h.shard.digest())
        }
        // Closed and reopened at offsets that are not barriers, so the running hash of an
        // open cycle comes back from the file.
        let h = try Harness()
        var start = 0
        for cut in [333, 1001, 1777, entries.count] {
            try h.shard.apply(Array(entries[start..<cut]), batchSize: 50)
            try h.reopen()
            start = cut
        }
        chains.append(try Self.digests(h.shard))
        full.append(try h.shard.digest())
        #expect(chains[0].count > 10, "the workload seals cycles")
        #expect(chains.allSatisfy { $0 == chains[0] })
        #expect(Set(full).count == 1)
        #expect(chains[0].values.allSatisfy { $0.count == 64 })
        #expect(Set(chains[0].values).count == chains[0].count, "every cycle's digest is its own")
    }

    @Test("one point more in one redemption changes its cycle's digest and every later one, none before", .seeded(12))
    func oneChangedPointChangesItsCycleAndEveryLater() throws {
        var entries = Workload.entries(seed: TestSeed.value, count: 2000)
        let h = try Harness()
        try h.shard.apply(entries, batchSize: 100)
        let positions = try h.shard.positions()
        // A redemption in the middle of the log, in a cycle that is sealed.
        let index = try #require(
            entries.indices.first { i in
                guard i > entries.count / 3, case .transaction(let t) = entries[i].kind, case .redemption = t.body else { return false }
                return true
            })
        guard case .transaction(var t) = entries[index].kind, case .redemption(let points) = t.body else { return }
        t.body = .redemption(points: points + 1)
        entries[index] = LedgerEntry(offset: entries[index].offset, kind: .transaction(t))
        let changed = try Harness()
        try changed.shard.apply(entries, batchSize: 100)
        let other = try changed.shard.positions()
        #expect(other.count == positions.count)
        let offset = entries[index].offset
        var later = 0
        for (a, b) in zip(positions, other) {
            #expect(a.cycle == b.cycle)
            if a.barrierOffset < offset {
                #expect(a.ledgerDigest == b.ledgerDigest, "cycle \(a.cycle) ends before the change")
            } else {
                #expect(a.ledgerDigest != b.ledgerDigest, "cycle \(a.cycle) is at or after the change")
                later += 1
            }
        }
        #expect(later > 1)
    }

    @Test("the seal reads the cycle, not the history: a row of an earlier cycle is not read again")
    func sealDoesNotReadHistory() throws {
        let entries = Workload.entries(seed: 5, count: 1200, plain: true)
        let a = try Harness()
        let b = try Harness()
        for h in [a, b] {
            try h.shard.apply(entries, batchSize: 200)
            h.offset = Int64(entries.count)
            try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.t0)])
        }
        // An old journal row changed behind the shard's back.
        try b.shard.db.execute("UPDATE journal SET detail = detail || '!' WHERE offset = 3")
        for h in [a, b] {
            try h.tx("alpha", "next", "m1", at: Clock.t0, accrual(5_000))
            try h.run([.barrier(cycle: 2, closedAtMilliseconds: Clock.t0)])
        }
        #expect(try a.shard.digest() != b.shard.digest(), "the full digest reads every row")
        let last = { (h: Harness) in try h.shard.positions().last }
        #expect(try last(a)?.cycle == 2)
        #expect(try last(a)?.ledgerDigest == last(b)?.ledgerDigest, "the seal of cycle 2 did not read cycle 1's journal")
    }

    @Test("a file from before chained digests starts its chain at its next offset, and its lots still expire", .seeded(14))
    func fileFromBeforeTheChain() throws {
        let entries = Workload.entries(seed: TestSeed.value, count: 2000)
        let straight = try Harness()
        try straight.shard.apply(entries, batchSize: 100)
        let h = try Harness()
        try h.shard.apply(Array(entries[..<1033]), batchSize: 100)
        let before = try h.shard.positions()
        // Back to schema 4: no chain columns, no expiry queue.
        try h.shard.db.execute(
            "ALTER TABLE shard DROP COLUMN open_hash; ALTER TABLE shard DROP COLUMN chain_since_offset; DROP TABLE expiry_queue; PRAGMA user_version = 4"
        )
        try h.reopen()
        #expect(try h.shard.verify().chainSinceOffset == 1033)
        try h.shard.apply(Array(entries[1033...]), batchSize: 100)
        // The ledger is the same (the queue was refilled from the open lots: breakage too) …
        #expect(try h.shard.totals() == straight.shard.totals())
        // … and so are the digests sealed before; from the first seal after the upgrade the
        // chain is the file's own.
        let after = try h.shard.positions()
        let reference = try straight.shard.positions()
        #expect(Array(reference.prefix(before.count)) == before)
        #expect(after.count == reference.count && after.count > before.count)
        // (Unless the upgrade came right after a barrier: then nothing of the open cycle
        // was missed, and the chain goes on as the straight file's.)
        let midCycle = before.last?.barrierOffset != 1032
        for (mine, theirs) in zip(after, reference).dropFirst(before.count) {
            #expect((mine.ledgerDigest != theirs.ledgerDigest) == midCycle)
            #expect(mine.points == theirs.points && mine.debts == theirs.debts)
        }
        #expect(try h.shard.verify().problems == [])
    }

    @Test("verify passes on a shard with archives and its chain, and names a damaged archive file")
    func verifyChecksArchives() throws {
        var history = SteadyHistory(seed: 21)
        let h = try Harness(programme: ArchiveTests.programme)
        for _ in 0..<30 { try h.shard.apply(history.nextDay(), batchSize: 500) }
        let good = try h.shard.verify()
        #expect(good.problems == [])
        #expect(good.fullDigest == (try h.shard.digest()))
        #expect(good.lastSealedDigest == (try h.shard.positions().last?.ledgerDigest))
        let record = try #require(try h.shard.archives().first)
        let path = h.shard.archiveDirectory + "/" + record.file
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let bad = try h.shard.verify()
        #expect(bad.problems.count == 1)
        #expect(bad.problems.first?.contains(record.file) == true, "\(bad.problems)")
    }

    @Test("after every barrier no lot due at its close time has points left", .seeded(13))
    func sweepLeavesNothingDue() throws {
        let entries = Workload.entries(seed: TestSeed.value, count: 3000)
        let h = try Harness()
        var barriers = 0
        for entry in entries {
            try h.shard.apply([entry], batchSize: 1)
            guard case .barrier(_, let closedAt, _) = entry.kind else { continue }
            let s = try h.shard.db.prepare("SELECT COUNT(*) FROM lots WHERE points_left > 0 AND expires_at <= ?").bind(.integer(closedAt))
            defer { s.reset() }
            _ = try s.step()
            #expect(s.int64(0) == 0, "barrier at offset \(entry.offset)")
            barriers += 1
        }
        #expect(barriers > 10)
        #expect(try h.shard.totals().partners.reduce(0) { $0 + $1.expired } > 0)
    }

    @Test("a cancel that gives points back to a lot already swept empty: the next barrier expires them")
    func cancelIntoASweptLotExpiresAtTheNextBarrier() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", at: Clock.t0, accrual(100_000))  // 5,000 points, expiring in 12 months
        let points = try h.shard.member("m1").balance
        try h.tx("beta", "r1", at: Clock.t0 + Clock.day, .redemption(points: points))
        let later = Clock.at(2027, 2, 1)
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: later)])
        #expect(try h.partnerTotals("alpha")?.expired ?? 0 == 0, "the lot was empty at the sweep")
        let cancel = try h.tx("beta", "c1", at: Clock.t0 + 2 * Clock.day, .cancel(originalPartnerTxnId: "r1"))
        #expect(cancel.status == .accepted)
        try h.run([.barrier(cycle: 1, closedAtMilliseconds: later + Clock.day)])
        let s = try h.shard.db.prepare("SELECT COALESCE(SUM(points_left), 0) FROM lots WHERE expires_at <= ?").bind(.integer(later))
        defer { s.reset() }
        _ = try s.step()
        #expect(s.int64(0) == 0)
        #expect(try h.shard.member("m1").balance == 0)
        #expect(try h.partnerTotals("alpha")?.expired == points)
    }
}
