import Foundation
import Testing

@testable import Ledger
@testable import Programme

/// Issue 13, item 2: expiry policies, hand-worked. Partners earn 10 % with no fee, a point
/// is worth 1 minor unit (`ExpiryTests.earn(n)` earns exactly n points).
@Suite(.timeLimit(.minutes(10)))
struct ExpiryPolicyTests {
    static func programme(_ kind: ExpiryPolicy.Kind?, pendingDays: [String: Int] = [:]) -> Programme {
        var programme = ExpiryTests.sixMonths
        programme.expiryPolicy = ExpiryPolicy(kind)
        var partners = programme.partners
        for index in partners.indices { partners[index].pendingDays = pendingDays[partners[index].id] ?? 0 }
        programme.replacePartners(partners)
        return programme
    }

    static func midnight(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { Clock.at(y, m, d, hour: 0) }

    // MARK: The arithmetic

    @Test func endOfMonthAndEndOfYearBoundaries() {
        func expiry(_ kind: ExpiryPolicy.Kind, _ time: Int64) -> Int64? {
            Self.programme(kind).expiry(eventTimeMilliseconds: time)
        }
        // The end of the month after January (a 28-day February): 1 March 00:00.
        #expect(expiry(.endOfMonth(months: 1), Clock.at(2026, 1, 31)) == Self.midnight(2026, 3, 1))
        // In a leap year February has 29 days: points earned on 15 January are good on 29 February.
        #expect(expiry(.endOfMonth(months: 1), Clock.at(2028, 1, 15)) == Self.midnight(2028, 3, 1))
        #expect(expiry(.endOfMonth(months: 1), Clock.at(2028, 1, 15))! > Clock.at(2028, 2, 29, hour: 23))
        // 0: the end of the month of earning, even for the last millisecond of it.
        #expect(expiry(.endOfMonth(months: 0), Self.midnight(2026, 12, 1) - 1) == Self.midnight(2026, 12, 1))
        #expect(expiry(.endOfMonth(months: 0), Clock.at(2026, 12, 10)) == Self.midnight(2027, 1, 1))
        #expect(expiry(.endOfMonth(months: 24), Clock.at(2026, 3, 15)) == Self.midnight(2028, 4, 1))
        // Years: the end of the year of earning (0), or of the Nth year after it.
        #expect(expiry(.endOfYear(years: 0), Clock.at(2026, 3, 15)) == Self.midnight(2027, 1, 1))
        #expect(expiry(.endOfYear(years: 1), Clock.at(2026, 12, 31, hour: 23)) == Self.midnight(2028, 1, 1))
        #expect(expiry(.endOfYear(years: 2), Clock.at(2028, 2, 29)) == Self.midnight(2031, 1, 1))
        // N months after earning: clamped to the month's last day (leap day → 28 February).
        #expect(expiry(.monthsAfterEarning(months: 12), Clock.at(2028, 2, 29)) == Clock.at(2029, 2, 28))
        #expect(expiry(.never, Clock.at(2026, 1, 1)) == Programme.neverExpires)
        #expect(expiry(.inactivity(months: 18), Clock.at(2026, 1, 1)) == Programme.neverExpires)
        #expect(Self.programme(.inactivity(months: 18)).inactivityDeadline(lastActivityMilliseconds: Clock.at(2026, 1, 31)) == Clock.at(2027, 7, 31))
    }

    // MARK: In the ledger

    @Test func endOfMonthPointsAreGoodToTheLastMillisecond() throws {
        let h = try Harness(programme: Self.programme(.endOfMonth(months: 1)))
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 20), ExpiryTests.earn(100))  // expires 2026-03-01 00:00
        #expect(try h.shard.member("m1").lots.map(\.expiresAtMilliseconds) == [Self.midnight(2026, 3, 1)])
        // The last millisecond of February: spendable.
        #expect(try h.tx("cinema", "c1", at: Self.midnight(2026, 3, 1) - 1, .redemption(points: 40)).balanceAfter == 60)
        // 1 March 00:00: the rest expired (breakage of fuel), nothing left to spend.
        let late = try h.tx("cinema", "c2", at: Self.midnight(2026, 3, 1), .redemption(points: 1))
        #expect(late.status == .rejected && late.balanceAfter == 0)
        try h.tx("hotel", "h1", at: Self.midnight(2026, 3, 1), ExpiryTests.earn(10))
        #expect(try h.partnerTotals("fuel")?.expired == 60)
    }

    @Test func endOfYearBreakageLandsAtTheFirstBarrierAfterIt() throws {
        let h = try Harness(programme: Self.programme(.endOfYear(years: 0)))
        try h.tx("fuel", "f1", at: Clock.at(2026, 12, 31), ExpiryTests.earn(70))  // expires 2027-01-01 00:00
        var outputs = try h.run([.barrier(cycle: 1, closedAtMilliseconds: Self.midnight(2027, 1, 1) - 1)])
        #expect(Self.expired(outputs, "fuel") == 0)
        outputs = try h.run([.barrier(cycle: 2, closedAtMilliseconds: Self.midnight(2027, 1, 1))])
        #expect(Self.expired(outputs, "fuel") == 70)
        #expect(try h.shard.member("m1").balance == 0)
    }

    @Test func neverExpiringPointsStaySpendable() throws {
        let h = try Harness(programme: Self.programme(.never))
        try h.tx("hotel", "h1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(500))
        #expect(try h.shard.member("m1").lots.map(\.expiresAtMilliseconds) == [Programme.neverExpires])
        try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.at(2070, 1, 1))])
        #expect(try h.tx("fuel", "f1", at: Clock.at(2076, 1, 1), .redemption(points: 500)).balanceAfter == 0)
        #expect(try h.partnerTotals("hotel")?.expired == 0)
    }

    @Test func inactivityExpiresEverythingLazilyAfterTheDeadline() throws {
        let h = try Harness(programme: Self.programme(.inactivity(months: 18)))
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))
        try h.tx("hotel", "h1", at: Clock.at(2026, 2, 1), ExpiryTests.earn(50))  // deadline 2027-08-01 12:00
        // A rejected transaction does not move the deadline.
        #expect(try h.tx("cinema", "c1", at: Clock.at(2027, 7, 1), .redemption(points: 1000)).status == .rejected)
        // One millisecond before the deadline everything is spendable …
        #expect(try h.inquiry("m1", at: Clock.at(2027, 8, 1) - 1).balance == 150)
        #expect(try h.inquiry("m1", at: Clock.at(2027, 8, 1)).balance == 0)
        // … at the deadline nothing is: the next accrual first expires both lots.
        let accrual = try h.tx("grocery", "g1", at: Clock.at(2027, 8, 1), ExpiryTests.earn(30))
        #expect(accrual == Outcome(status: .accepted, pointsDelta: 30, balanceAfter: 30))
        #expect(try h.partnerTotals("fuel")?.expired == 100 && h.partnerTotals("hotel")?.expired == 50)
        #expect(try h.shard.member("m1").lots.map(\.issuer) == ["grocery"])
    }

    @Test func eachTransactionMovesTheDeadlineAndABarrierAfterItExpiresAll() throws {
        let h = try Harness(programme: Self.programme(.inactivity(months: 18)))
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))  // deadline 2027-07-01
        try h.tx("hotel", "h1", "m2", at: Clock.at(2026, 1, 1), ExpiryTests.earn(40))  // m2: deadline 2027-07-01
        // m1 redeems on 2027-06-01: its deadline moves to 2028-12-01.
        #expect(try h.tx("cinema", "c1", at: Clock.at(2027, 6, 1), .redemption(points: 10)).balanceAfter == 90)
        // A barrier after the first deadline: m2's 40 expire (hotel's breakage, this
        // cycle); m1's lot goes back into the queue at its new deadline.
        var outputs = try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.at(2028, 6, 1))])
        #expect(Self.expired(outputs, "hotel") == 40 && Self.expired(outputs, "fuel") == 0)
        #expect(try h.shard.member("m2").balance == 0)
        #expect(try h.inquiry("m1", at: Clock.at(2028, 11, 30)).balance == 90)
        // The next barrier after m1's deadline: its 90 are fuel's breakage in cycle 2.
        outputs = try h.run([.barrier(cycle: 2, closedAtMilliseconds: Clock.at(2028, 12, 2))])
        #expect(Self.expired(outputs, "fuel") == 90)
        #expect(try h.shard.member("m1").balance == 0 && h.shard.member("m1").lots.isEmpty)
        // Nothing is expired twice: a later transaction finds nothing left.
        try h.tx("fuel", "f2", at: Clock.at(2029, 1, 1), ExpiryTests.earn(5))
        #expect(try h.partnerTotals("fuel")?.expired == 90)
    }

    @Test func aCancelledRedemptionGoesBackIntoTheInactivityQueue() throws {
        let h = try Harness(programme: Self.programme(.inactivity(months: 1)))
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))
        try h.tx("cinema", "c1", at: Clock.at(2026, 1, 2), .redemption(points: 100))  // lot 0 empty
        // The queue entry of the empty lot leaves at this barrier.
        try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.at(2026, 2, 10))])
        // The cancel on 2026-01-20 (an earlier event time) gives the 100 back; deadline 2026-02-02.
        try h.tx("cinema", "c2", at: Clock.at(2026, 1, 20), .cancel(originalPartnerTxnId: "c1"))
        let outputs = try h.run([.barrier(cycle: 2, closedAtMilliseconds: Clock.at(2026, 3, 1))])
        #expect(Self.expired(outputs, "fuel") == 100)
        #expect(try h.shard.member("m1").balance == 0)
    }

    @Test func balanceAnswersCountThePointsExpiringWithin30Days() throws {
        let h = try Harness(programme: Self.programme(.endOfMonth(months: 0)))
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 10), ExpiryTests.earn(100))  // expires 2026-02-01
        // On 2026-01-20 fuel's 100 expire within 30 days.
        var answer = try h.inquiry("m1", at: Clock.at(2026, 1, 20))
        #expect(answer.balance == 100 && answer.facts.expiringPoints == 100)
        // 1 January is more than 30 days before: nothing expiring by 31 January.
        #expect(try h.inquiry("m1", at: Clock.at(2026, 1, 1)).facts.expiringPoints == 0)
        try h.tx("hotel", "h1", at: Clock.at(2026, 2, 10), ExpiryTests.earn(40))  // expires 2026-03-01
        // On 2026-02-10 fuel's lot is due; the hotel's 40 expire on 1 March, within 30 days.
        answer = try h.inquiry("m1", at: Clock.at(2026, 2, 10))
        #expect(answer.balance == 40)
        #expect(answer.facts.expiringPoints == 40)
        #expect(answer.facts.expiringBeforeMilliseconds == Clock.at(2026, 2, 10) + 30 * Clock.day)
        // Inactivity: everything expires when the deadline falls inside the 30 days.
        let i = try Harness(programme: Self.programme(.inactivity(months: 1)))
        try i.tx("fuel", "f1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))  // deadline 2026-02-01
        #expect(try i.inquiry("m1", at: Clock.at(2026, 1, 1) - 1).facts.expiringPoints == 0)
        #expect(try i.inquiry("m1", at: Clock.at(2026, 1, 5)).facts.expiringPoints == 100)
        #expect(try i.inquiry("m1", at: Clock.at(2025, 12, 1)).facts.expiringPoints == 0)
    }

    @Test func replayGivesTheSameDigestUnderEveryPolicy() throws {
        for kind in [ExpiryPolicy.Kind.endOfMonth(months: 1), .endOfYear(years: 0), .never, .inactivity(months: 2)] {
            let programme = Self.programme(kind, pendingDays: ["fuel": 14, "hotel": 3])
            // 150 members: some stay away longer than the inactivity period.
            let entries = Workload.entries(seed: 13, count: 1500, programme: programme, members: 150)
            var digests: Set<String> = []
            var expired: Set<Int64> = []
            var outputs: [[LedgerOutput]] = []
            for size in [1, 13, 2000] {
                let h = try Harness(programme: programme)
                outputs.append(try h.shard.apply(entries, batchSize: size))
                digests.insert(try h.shard.digest())
                expired.insert(try h.shard.totals().partners.reduce(0) { $0 + $1.expired })
            }
            #expect(digests.count == 1, "\(kind)")
            #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2], "\(kind)")  // results, facts included
            #expect(expired.count == 1, "\(kind)")
            if kind != .never { #expect(expired.first! > 0, "\(kind): nothing expired") }
        }
    }

    @Test func theMembersActivityIsStoredSmallAndReadsBack() throws {
        var state = MemberProgramme()
        #expect(state.storedText == nil)
        state.activity.lastMilliseconds = 1_000
        state.activity.deadlineMilliseconds = 2_000
        state.activity.pendingUntilMilliseconds = 3_000
        let text = try #require(state.storedText)
        #expect(text.contains("\"activity\":{\"deadline_ms\":2000,\"last_ms\":1000,\"pending_until_ms\":3000}"))
        #expect(try MemberProgramme.stored(text, memberId: "m1") == state)
        // Keys missing (a state written before them) read as absent.
        #expect(try MemberProgramme.stored("{\"activity\":{}}", memberId: "m1") == MemberProgramme())
    }

    static func expired(_ outputs: [LedgerOutput], _ partner: String) -> Int64 {
        for output in outputs {
            if case .position(let p) = output { return p.points.first { $0.partnerId == partner }?.expired ?? 0 }
        }
        Issue.record("no position in \(outputs)")
        return -1
    }
}

extension Harness {
    /// A balance answer for `member` at `time`.
    func inquiry(_ member: String, at time: Int64) throws -> (balance: Int64, facts: MemberFacts) {
        let outputs = try run([.inquiry(memberId: member, atMilliseconds: time)])
        guard case .inquiry(_, _, let balance, let facts) = try #require(outputs.first) else {
            Issue.record("expected a balance answer, got \(outputs)")
            return (-1, MemberFacts())
        }
        return (balance, facts)
    }
}
