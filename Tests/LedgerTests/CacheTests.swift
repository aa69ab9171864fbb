import Foundation
import Programme
import Testing

@testable import Ledger

/// The shard's in-memory caches (member balances, open lots per member, the journal's key
/// filter) must never make a ledger differ from one built without them: not after a
/// rollback, not after another connection wrote the file (a partition that moved to
/// another worker and came back), not after a restart. Debug builds also compare each
/// touched member's cached lots with the lots table after every transaction.
@Suite(.timeLimit(.minutes(10)))
struct CacheTests {
    static let entries = Workload.entries(seed: 11, count: 3000, members: 12)

    private static func straight(batchSize: Int = 250) throws -> Harness {
        let h = try Harness()
        try h.shard.apply(entries, batchSize: batchSize)
        return h
    }

    @Test func coldCachesBeforeEveryBatchGiveTheSameLedger() throws {
        let warm = try Self.straight(batchSize: 100)
        let cold = try Harness()
        var outputs: [LedgerOutput] = []
        for start in stride(from: 0, to: Self.entries.count, by: 100) {
            cold.shard.store.dropCaches()
            cold.shard.store.journalKeys = nil
            let slice = Array(Self.entries[start..<min(start + 100, Self.entries.count)])
            outputs += try cold.shard.apply(LedgerBatch(entries: slice, nextOffset: slice.last!.offset + 1)) { _ in }
        }
        #expect(try cold.shard.digest() == warm.shard.digest())
        let once = try Harness()
        #expect(try outputs == once.shard.apply(Self.entries, batchSize: 3000))
    }

    @Test func anotherConnectionWritingTheFileInvalidatesTheCaches() throws {
        let straight = try Self.straight()
        let h = try Harness()
        // This shard object warms its caches on the first part of the log ...
        try h.shard.apply(Array(Self.entries[..<1000]), batchSize: 250)
        // ... then the partition moves away: another owner applies the next part to the
        // same file while this object stays open ...
        let other = try Shard(path: h.path, partition: h.shard.partition, programme: h.programme)
        try other.apply(Array(Self.entries[1000..<2000]), batchSize: 250)
        other.close()
        // ... and comes back: what this object cached about members is stale now.
        #expect(try h.shard.nextOffset() == 2000)
        try h.shard.apply(Array(Self.entries[2000...]), batchSize: 250)
        #expect(try h.shard.digest() == straight.shard.digest())
        #expect(try h.shard.totals() == straight.shard.totals())
    }

    @Test func rolledBackRedemptionsLeaveNoLotsInTheCache() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", accrual(10_000))  // 500 points in one lot
        try h.tx("beta", "b1", accrual(10_000))  // 250 points in another
        let before = try h.shard.digest()
        // A batch that empties the first lot and part of the second, rolled back.
        let redeem = Transaction(
            partnerId: "gamma", partnerTxnId: "g1", memberId: "m1", eventTimeMilliseconds: Clock.t0 + Clock.day,
            body: .redemption(points: 600))
        let pending = try h.shard.begin(LedgerBatch(entries: [LedgerEntry(offset: 2, kind: .transaction(redeem))], nextOffset: 3))
        h.shard.rollback(pending)
        #expect(try h.shard.digest() == before)
        // Had the cache kept the rolled-back portions, this would take from the wrong lots
        // (or find too few points) and the debug check would stop the process.
        h.offset = 2
        let outcome = try h.tx("gamma", "g2", at: Clock.t0 + Clock.day, .redemption(points: 700))
        #expect(outcome.status == .accepted && outcome.balanceAfter == 50)
        let lots = try h.shard.member("m1").lots
        #expect(lots.map(\.pointsLeft) == [50])
        #expect(try h.debt("alpha", "gamma") == 1_000 && h.debt("beta", "gamma") == 400)
    }

    @Test func restartStartsWithEmptyCachesAndTheSameLedger() throws {
        let straight = try Self.straight()
        let h = try Harness()
        for start in stride(from: 0, to: Self.entries.count, by: 600) {
            try h.shard.apply(Array(Self.entries[start..<min(start + 600, Self.entries.count)]), batchSize: 150)
            try h.reopen()
            #expect(h.shard.store.committedMembers.isEmpty && h.shard.store.committedLots.isEmpty)
        }
        #expect(try h.shard.digest() == straight.shard.digest())
    }

    @Test func memberWithMoreLotsThanTheCacheHoldsIsReadFromTheTable() throws {
        let count = LedgerStore.maxCachedLotsPerMember + 40
        var kinds: [LedgerEntry.Kind] = []
        for index in 0..<count {
            kinds.append(
                .transaction(
                    Transaction(
                        partnerId: ["alpha", "beta"][index % 2], partnerTxnId: "a\(index)", memberId: "m1",
                        eventTimeMilliseconds: Clock.t0 + Int64(index) * 60_000, body: accrual(1_000))))
        }
        for index in 0..<30 {
            kinds.append(
                .transaction(
                    Transaction(
                        partnerId: "gamma", partnerTxnId: "r\(index)", memberId: "m1",
                        eventTimeMilliseconds: Clock.t0 + Clock.day, body: .redemption(points: 37))))
        }
        let entries = kinds.enumerated().map { LedgerEntry(offset: Int64($0.offset), kind: $0.element) }
        var digests: Set<String> = []
        for size in [1, 100, entries.count] {
            let h = try Harness()
            try h.shard.apply(entries, batchSize: size)
            digests.insert(try h.shard.digest())
            #expect(h.shard.store.committedLots["m1"] == nil)
            let member = try h.shard.member("m1")
            #expect(member.balance == member.lots.reduce(0) { $0 + $1.pointsLeft })
        }
        #expect(digests.count == 1)
    }
}
