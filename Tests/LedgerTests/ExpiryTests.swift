import Foundation
import Programme
import SQLite
import Synchronization
import Testing

@testable import Ledger

/// Issue 9, items 1 and 2: no reported balance counts an expired point, and nothing that
/// gives points back revives one. Hand-worked on a programme of five partners that all
/// earn 10 % with no fee, point value 1 minor unit, lots expiring after 6 months.
@Suite(.timeLimit(.minutes(10)))
struct ExpiryTests {
    static var sixMonths: Programme {
        let base = Programme.handWorked
        return Programme(
            version: "six-months", currency: "EUR", currencyExponent: 2, pointValueMinor: 1, expiryMonths: 6,
            maxCardsPerAccount: 4, operatorAccount: base.operatorAccount, floors: base.floors,
            partners: ["fuel", "cinema", "hotel", "grocery", "pharmacy"].map {
                Programme.Partner(
                    id: $0, name: $0.capitalized, earnDefaultBasisPoints: 1000, operatorFeeBasisPoints: 0,
                    iban: "DE89370400440532013000", bic: "COBADEFFXXX")
            })
    }

    /// 10 % of `points × 10` minor units: exactly `points` points.
    static func earn(_ points: Int64) -> Transaction.Body { accrual(points * 10) }

    @Test func cancelDuringAShortfallDoesNotBringBackExpiredPoints() throws {
        let h = try Harness(programme: Self.sixMonths)
        let jan1 = Clock.at(2026, 1, 1)
        // Lot 0: 1,000 fuel points, expiring 2026-07-01 12:00.
        #expect(try h.tx("fuel", "f1", at: jan1, Self.earn(1000)).balanceAfter == 1000)
        #expect(try h.tx("cinema", "c1", at: Clock.at(2026, 1, 10), .redemption(points: 1000)).balanceAfter == 0)
        #expect(try h.debt("fuel", "cinema") == 1000)
        // Lot 2: 450 hotel points, spent at grocery, then the hotel refunds the whole purchase.
        try h.tx("hotel", "h1", at: Clock.at(2026, 2, 1), Self.earn(450))
        try h.tx("grocery", "g1", at: Clock.at(2026, 2, 2), .redemption(points: 450))
        let refund = try h.tx("hotel", "h2", at: Clock.at(2026, 3, 1), .refund(originalPartnerTxnId: "h1", amountMinor: 4500, currency: "EUR"))
        #expect(refund == Outcome(status: .accepted, pointsDelta: -450, balanceAfter: -450))
        #expect(try h.shard.member("m1").shortfall == 450)

        // 2026-08-01: the cinema cancels. The 1,000 points go back into the fuel lot, which
        // expired on 2026-07-01: breakage of fuel at this moment, nothing spendable.
        let cancel = try h.tx("cinema", "c2", at: Clock.at(2026, 8, 1), .cancel(originalPartnerTxnId: "c1"))
        #expect(cancel == Outcome(status: .accepted, pointsDelta: 0, balanceAfter: -450))
        #expect(try h.debt("fuel", "cinema") == 0)  // the debt was made, and reversed
        #expect(try h.partnerTotals("fuel")?.expired == 1000)
        #expect(try h.partnerTotals("fuel")?.outstanding == 0)
        #expect(try h.partnerTotals("cinema")?.redeemed == 0)
        var member = try h.shard.member("m1")
        #expect(member.shortfall == 450 && member.balance == -450 && member.lots.isEmpty)

        // The pharmacy's 1,000 pay off the shortfall; 550 remain, in the pharmacy's lot.
        let pharmacy = try h.tx("pharmacy", "p1", at: Clock.at(2026, 8, 2), Self.earn(1000))
        #expect(pharmacy == Outcome(status: .accepted, pointsDelta: 1000, balanceAfter: 550))
        member = try h.shard.member("m1")
        #expect(member.balance == 550 && member.shortfall == 0)
        #expect(member.lots.map(\.issuer) == ["pharmacy"] && member.lots.map(\.pointsLeft) == [550])
        #expect(try h.debt("hotel", "grocery") == 450)  // the grocery keeps what it was owed
        #expect(try h.partnerTotals("hotel")?.clawedBack == 450)
        #expect(try h.partnerTotals("pharmacy")?.issued == 1000)
    }

    @Test func cancelGivesBackOnlyWhatIsStillSpendable() throws {
        let h = try Harness(programme: Self.sixMonths)
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), Self.earn(300))  // lot 0, expires 2026-07-01
        try h.tx("hotel", "h1", at: Clock.at(2026, 3, 1), Self.earn(200))  // lot 1, expires 2026-09-01
        // Takes fuel 300 and hotel 100.
        try h.tx("cinema", "c1", at: Clock.at(2026, 4, 1), .redemption(points: 400))
        let cancel = try h.tx("cinema", "c2", at: Clock.at(2026, 7, 15), .cancel(originalPartnerTxnId: "c1"))
        // 400 restored, the fuel 300 expired on restoring: 100 came back to spend.
        #expect(cancel == Outcome(status: .accepted, pointsDelta: 100, balanceAfter: 200))
        #expect(try h.partnerTotals("fuel")?.expired == 300)
        #expect(try h.debt("fuel", "cinema") == 0 && h.debt("hotel", "cinema") == 0)
        #expect(try h.shard.member("m1").lots.map(\.pointsLeft) == [200])
    }

    /// Lot 0 (fuel, 100 points) expires 2026-07-01 12:00; lot 1 (hotel, 50) 2026-09-01.
    private func memberWithALotDueOnJuly1() throws -> Harness {
        let h = try Harness(programme: Self.sixMonths)
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), Self.earn(100))
        try h.tx("hotel", "h1", at: Clock.at(2026, 3, 1), Self.earn(50))
        try h.tx("cinema", "r1", at: Clock.at(2026, 3, 2), .redemption(points: 10))  // from the fuel lot
        try h.tx("cinema", "r2", at: Clock.at(2026, 3, 2), .redemption(points: 5))
        return h
    }

    @Test func everyReportedBalanceExcludesLotsExpiredAtItsEventTime() throws {
        let july = Clock.at(2026, 7, 2)
        // An accrual: 50 + 20 new, not the 85 stored.
        var h = try memberWithALotDueOnJuly1()
        #expect(try h.tx("grocery", "a", at: july, Self.earn(20)) == Outcome(status: .accepted, pointsDelta: 20, balanceAfter: 70))
        #expect(try h.partnerTotals("fuel")?.expired == 85)
        // Just before the expiry instant the lot still counts.
        h = try memberWithALotDueOnJuly1()
        #expect(try h.tx("grocery", "a", at: Clock.at(2026, 7, 1) - 1, Self.earn(20)).balanceAfter == 155)
        #expect(try h.tx("grocery", "b", at: Clock.at(2026, 7, 1), Self.earn(20)).balanceAfter == 90)

        // A cancel of a redemption whose lot has not expired.
        h = try memberWithALotDueOnJuly1()
        try h.tx("grocery", "r3", at: Clock.at(2026, 3, 3), .redemption(points: 85))  // the fuel lot's 85
        try h.tx("cinema", "r4", at: Clock.at(2026, 3, 3), .redemption(points: 20))  // hotel 20
        #expect(
            try h.tx("cinema", "c", at: july, .cancel(originalPartnerTxnId: "r4")) == Outcome(status: .accepted, pointsDelta: 20, balanceAfter: 50))

        // Inquiries, duplicates, rejections (also without a partner_txn_id): read only.
        h = try memberWithALotDueOnJuly1()
        let stored = try h.shard.member("m1")
        let outputs = try h.run([
            .inquiry(memberId: "m1", atMilliseconds: july),
            .inquiry(memberId: "m1", atMilliseconds: Clock.at(2026, 6, 30)),
        ])
        #expect(outputs == [.inquiry(offset: 4, memberId: "m1", balance: 50), .inquiry(offset: 5, memberId: "m1", balance: 135)])
        let duplicate = try h.tx("cinema", "r1", at: july, .redemption(points: 10))
        #expect(duplicate.status == .duplicate && duplicate.balanceAfter == 50)
        let short = try h.tx("cinema", "r9", at: july, .redemption(points: 51))
        #expect(short.status == .rejected && short.reason == .insufficientPoints && short.balanceAfter == 50)
        #expect(short.detail == "points: 51 requested, the balance is 50")
        let unknown = try h.tx("zeta", "x", at: july, Self.earn(5))
        #expect(unknown.reason == .unknownPartner && unknown.balanceAfter == 50)
        let noId = try h.tx("cinema", "", at: july, .redemption(points: 1))
        #expect(noId.reason == .invalidField && noId.balanceAfter == 50)
        let notFound = try h.tx("cinema", "c9", at: july, .cancel(originalPartnerTxnId: "nope"))
        #expect(notFound.reason == .originalNotFound && notFound.balanceAfter == 50)
        // None of them expired anything: the fuel lot is still stored, nothing counted.
        #expect(try h.shard.member("m1") == stored)
        #expect(try h.partnerTotals("fuel")?.expired == 0)
        // The view at a time shows what the results show.
        let view = try h.shard.member("m1", at: july)
        #expect(view.balance == 50 && view.lots.map(\.issuer) == ["hotel"])
        #expect(try h.shard.member("m1", at: Clock.at(2026, 6, 30)) == stored)
    }

    @Test func refundOfAnExpiredAccrualClawsOnlySpendablePoints() throws {
        let h = try memberWithALotDueOnJuly1()  // fuel lot 85 left, hotel 50
        // The fuel lot is breakage at the refund's time; the claw (40 of the original 100)
        // comes from the hotel lot.
        let o = try h.tx("fuel", "f2", at: Clock.at(2026, 7, 2), .refund(originalPartnerTxnId: "f1", amountMinor: 400, currency: "EUR"))
        #expect(o == Outcome(status: .accepted, pointsDelta: -40, balanceAfter: 10))
        #expect(try h.partnerTotals("fuel")?.expired == 85)
        #expect(try h.shard.member("m1").lots.map(\.pointsLeft) == [10])
    }

    // MARK: The expiry floor

    private func storedFloor(_ h: Harness, _ memberId: String) throws -> Int64? {
        let s = try h.shard.db.prepare("SELECT expiry_floor FROM members WHERE member_id = ?")
        defer { s.reset() }
        s.bind(.text(memberId))
        return try s.step() ? s.int64(0) : nil
    }

    @Test func floorFollowsTheEarliestExpiryAndSurvivesCommitRollbackAndCacheDrops() throws {
        let h = try Harness(programme: Self.sixMonths)
        let march = Clock.at(2026, 3, 1)
        try h.tx("hotel", "h1", at: march, Self.earn(50))
        let sept = Clock.at(2026, 9, 1)
        #expect(try storedFloor(h, "m1") == sept)
        #expect(h.shard.store.committedMembers["m1"]?.expiryFloorMilliseconds == sept)
        // An earlier lot lowers it (event times need not increase).
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), Self.earn(100))
        let july = Clock.at(2026, 7, 1)
        #expect(try storedFloor(h, "m1") == july)

        // A rolled-back batch that would have expired the fuel lot and raised the floor
        // leaves file and cache as they were.
        let before = try h.shard.digest()
        let late = Transaction(
            partnerId: "grocery", partnerTxnId: "g1", memberId: "m1", eventTimeMilliseconds: Clock.at(2026, 8, 1), body: Self.earn(1))
        let pending = try h.shard.begin(LedgerBatch(entries: [LedgerEntry(offset: h.offset, kind: .transaction(late))], nextOffset: h.offset + 1))
        h.shard.rollback(pending)
        #expect(try h.shard.digest() == before)
        #expect(try storedFloor(h, "m1") == july)
        #expect(h.shard.store.committedMembers["m1"]?.expiryFloorMilliseconds == july)

        // Caches dropped: an accrual before the floor reads no lots (none get cached) …
        h.shard.store.dropCaches()
        try h.tx("grocery", "g2", at: Clock.at(2026, 6, 1), Self.earn(10))
        #expect(h.shard.store.committedLots["m1"] == nil)
        #expect(try storedFloor(h, "m1") == july)
        // … and one after it, with the floor read from the file, expires the fuel lot and
        // sets the floor exactly (the hotel lot's expiry).
        h.shard.store.dropCaches()
        try h.reopen()
        #expect(try h.tx("grocery", "g3", at: Clock.at(2026, 7, 2), Self.earn(10)).balanceAfter == 70)
        #expect(h.shard.store.committedLots["m1"] != nil)
        #expect(try storedFloor(h, "m1") == sept)
        #expect(try h.partnerTotals("fuel")?.expired == 100)
    }

    @Test func floorIsRaisedByRedemptionsAndLoweredByCancelsAndLeftByBarriers() throws {
        let h = try Harness(programme: Self.sixMonths)
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), Self.earn(100))  // expires 07-01
        try h.tx("hotel", "h1", at: Clock.at(2026, 3, 1), Self.earn(50))  // expires 09-01
        try h.tx("cinema", "r1", at: Clock.at(2026, 3, 2), .redemption(points: 100))
        #expect(try storedFloor(h, "m1") == Clock.at(2026, 9, 1))
        // The cancel puts points back into the fuel lot: the floor comes down with them.
        try h.tx("cinema", "c1", at: Clock.at(2026, 3, 3), .cancel(originalPartnerTxnId: "r1"))
        #expect(try storedFloor(h, "m1") == Clock.at(2026, 7, 1))
        // A barrier sweeps the fuel lot and leaves the floor low (a lower bound still) …
        try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.at(2026, 7, 5))])
        #expect(try h.partnerTotals("fuel")?.expired == 100)
        #expect(try storedFloor(h, "m1") == Clock.at(2026, 7, 1))
        // … until the member's lots are next read.
        #expect(try h.tx("grocery", "g1", at: Clock.at(2026, 7, 6), Self.earn(10)).balanceAfter == 60)
        #expect(try storedFloor(h, "m1") == Clock.at(2026, 9, 1))
    }

    @Test func migrationSetsTheFloorOfExistingMembersExactly() throws {
        let h = try Harness(programme: Self.sixMonths)
        try h.tx("hotel", "h1", at: Clock.at(2026, 3, 1), Self.earn(50))
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), Self.earn(100))
        try h.tx("fuel", "f2", "m2", at: Clock.at(2026, 1, 1), Self.earn(100))
        try h.tx("cinema", "r1", "m2", at: Clock.at(2026, 1, 2), .redemption(points: 100))
        let digest = try h.shard.digest()
        // Back to schema 3 (no floor), then reopened: migration 4 adds and fills it.
        try h.shard.db.execute("ALTER TABLE members DROP COLUMN expiry_floor; PRAGMA user_version = 3")
        try h.reopen()
        #expect(try storedFloor(h, "m1") == Clock.at(2026, 7, 1))
        #expect(try storedFloor(h, "m2") == MemberState.noOpenLots)
        #expect(try h.shard.digest() == digest)
    }

    /// CI found this: a stopping worker and its successor opened an old file together,
    /// both read version 3 and both ran migration 4 ("duplicate column name").
    @Test func twoConnectionsOpeningAnOldFileMigrateItOnce() throws {
        let h = try Harness(programme: Self.sixMonths)
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), Self.earn(100))
        let digest = try h.shard.digest()
        try h.shard.db.execute("ALTER TABLE members DROP COLUMN expiry_floor; PRAGMA user_version = 3")
        h.shard.close()

        // One connection takes the write lock first; a second opens the file meanwhile.
        let first = try SQLiteDatabase(path: h.path)
        try first.execute("BEGIN IMMEDIATE")
        let outcome = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let (path, programme) = (h.path, Self.sixMonths)
        DispatchQueue.global().async {
            let result: String
            do throws(LedgerError) {
                let second = try Shard(path: path, partition: 3, programme: programme)
                second.close()
                result = "opened"
            } catch {
                result = error.description
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.3)
        try first.execute(Schema.migrations[3])
        try first.execute("PRAGMA user_version = 4; COMMIT")
        first.close()

        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(outcome.withLock { $0 } == "opened")
        try h.reopen()
        #expect(try h.shard.digest() == digest)
        #expect(try storedFloor(h, "m1") == Clock.at(2026, 7, 1))
    }
}
