import Foundation
import Programme
import Testing

@testable import Ledger

/// Statuses (tiers), hand-worked on a real shard (docs/programme.md, "Statuses").
/// Programme.handWorked: point value 2, alpha 1000 bp, beta 500 bp, gamma 200 bp, floor 100 bp.
/// Points = floor(amount × rate / 10_000 / 2).
@Suite struct StatusTests {
    typealias Level = StatusRules.Level
    typealias Thresholds = StatusRules.Thresholds
    let day = Clock.day
    let t0 = Clock.t0

    /// handWorked with `statuses`; refuses an invalid one.
    static func programme(_ statuses: StatusRules) throws -> Programme {
        var programme = Programme.handWorked
        programme.statuses = statuses
        try programme.validate()
        return programme
    }

    /// base (partner rate) / silver from 10,000 spend (×1.5) / gold from 50,000 (20 %, fuel 30 %),
    /// rolling 30 days.
    static let spendTiers = StatusRules(
        levels: [
            Level(name: "base"),
            Level(name: "silver", qualify: Thresholds(spendMinor: 10_000), earn: .multiplier(15_000)),
            Level(name: "gold", qualify: Thresholds(spendMinor: 50_000), earn: .rates(defaultBasisPoints: 2000, categories: ["fuel": 3000])),
        ],
        period: .rollingDays(30))

    /// Hotel: guest / bronze 5 % from the 2nd check-in / silver 10 % from 10 check-ins or
    /// 15 nights / gold 20 % from 20 or 30.
    static let hotelTiers = StatusRules(
        levels: [
            Level(name: "guest"),
            Level(name: "bronze", qualify: Thresholds(visits: 2), earn: .rates(defaultBasisPoints: 500, categories: [:])),
            Level(name: "silver", qualify: Thresholds(visits: 10, nights: 15), earn: .rates(defaultBasisPoints: 1000, categories: [:])),
            Level(name: "gold", qualify: Thresholds(visits: 20, nights: 30), earn: .rates(defaultBasisPoints: 2000, categories: [:])),
        ],
        period: .rollingDays(365))

    /// Beauty chain: 3 % / 10 % from 1,000.00 / 15 % over 1,500.00 of last month's spend.
    static func beautyTiers(upgradeInPeriod: Bool) -> StatusRules {
        StatusRules(
            levels: [
                Level(name: "3%", earn: .rates(defaultBasisPoints: 300, categories: [:])),
                Level(name: "10%", qualify: Thresholds(spendMinor: 100_000), earn: .rates(defaultBasisPoints: 1000, categories: [:])),
                Level(name: "15%", qualify: Thresholds(spendMinor: 150_001), earn: .rates(defaultBasisPoints: 1500, categories: [:])),
            ],
            period: .calendarMonth, upgradeInPeriod: upgradeInPeriod)
    }

    /// One accrual; its points and the status its result carries.
    func accrue(
        _ h: Harness, _ partner: String, _ txn: String, _ amount: Int64, at time: Int64, member: String = "m1", category: String = "any",
        visits: Int64 = 0, nights: Int64 = 0
    ) throws -> (points: Int64, status: String) {
        var details = Transaction.Details()
        details.visits = visits
        details.nights = nights
        let t = Transaction(
            partnerId: partner, partnerTxnId: txn, memberId: member, eventTimeMilliseconds: time, body: accrual(amount, category: category),
            details: details)
        return try result(h.run([.transaction(t)]))
    }

    func result(_ outputs: [LedgerOutput]) throws -> (points: Int64, status: String) {
        guard case .result(_, _, let outcome, _, let facts) = try #require(outputs.first) else {
            Issue.record("expected a result, got \(outputs)")
            return (0, "")
        }
        #expect(outcome.status == .accepted, "\(outcome)")
        return (outcome.pointsDelta, facts.status)
    }

    /// The status a balance answer gives at `time`.
    func balanceStatus(_ h: Harness, at time: Int64, member: String = "m1") throws -> String {
        guard case .inquiry(_, _, _, let facts) = try #require(try h.run([.inquiry(memberId: member, atMilliseconds: time)]).first) else {
            Issue.record("expected a balance answer")
            return ""
        }
        return facts.status
    }

    @Test func upgradeAtTheThresholdAndDowngradeWhenTheWindowNoLongerQualifies() throws {
        let h = try Harness(programme: Self.programme(Self.spendTiers))
        // A member never seen has the base status.
        #expect(try balanceStatus(h, at: t0) == "base")
        // 6,000 at alpha: base, 6000 × 1000 / 10000 / 2 = 300.
        #expect(try accrue(h, "alpha", "a1", 6_000, at: t0) == (300, "base"))
        // 4,000 a day later: 10,000 in the window = silver at once, the purchase earns
        // 1000 × 1.5 = 1500 bp: 4000 × 1500 / 10000 / 2 = 300.
        #expect(try accrue(h, "alpha", "a2", 4_000, at: t0 + day) == (300, "silver"))
        // Day 29 (t0's day is the window's first of 30): still silver in a balance answer.
        #expect(try balanceStatus(h, at: t0 + 29 * day) == "silver")
        // Day 30: the 6,000 of t0 left the window (4,000 left): base, without any transaction.
        #expect(try balanceStatus(h, at: t0 + 30 * day) == "base")
        // Day 31: the window is days 2…31: only this 1,000 counts: base, 1000 × 1000 / 10000 / 2 = 50.
        #expect(try accrue(h, "alpha", "a3", 1_000, at: t0 + 31 * day) == (50, "base"))
        // 49,000 more: 50,000 in the window = gold, 20 %: 49000 × 2000 / 10000 / 2 = 4900.
        #expect(try accrue(h, "alpha", "a4", 49_000, at: t0 + 31 * day) == (4900, "gold"))
        // Gold's category rate: fuel 30 %: 1000 × 3000 / 10000 / 2 = 150.
        #expect(try accrue(h, "alpha", "a5", 1_000, at: t0 + 32 * day, category: "fuel") == (150, "gold"))
    }

    @Test func visitsOrNightsAnyOfThemQualifies() throws {
        let h = try Harness(programme: Self.programme(Self.hotelTiers))
        // beta's own rate 5 % for a guest: 10,000 × 500 / 10000 / 2 = 250.
        #expect(try accrue(h, "beta", "s1", 10_000, at: t0, visits: 1, nights: 3) == (250, "guest"))
        // 2nd check-in: bronze 5 % at once (the same 5 % as beta's own): 250.
        #expect(try accrue(h, "beta", "s2", 10_000, at: t0 + day, visits: 1, nights: 3) == (250, "bronze"))
        // 2 visits, 6 nights; a 9-night stay makes 15 nights (3 visits): silver by nights,
        // 10 %: 10,000 × 1000 / 10000 / 2 = 500.
        #expect(try accrue(h, "beta", "s3", 10_000, at: t0 + 2 * day, visits: 1, nights: 9) == (500, "silver"))
        // Another member: 10 one-night check-ins make silver by visits at the 10th.
        for i in 1...9 {
            #expect(
                try accrue(h, "beta", "v\(i)", 1_000, at: t0 + Int64(i) * day, member: "m2", visits: 1, nights: 1).status
                    == (i >= 2 ? "bronze" : "guest"))
        }
        #expect(try accrue(h, "beta", "v10", 10_000, at: t0 + 10 * day, member: "m2", visits: 1, nights: 1) == (500, "silver"))
        // 30 nights: gold 20 %: 10,000 × 2000 / 10000 / 2 = 1000.
        #expect(try accrue(h, "beta", "s4", 10_000, at: t0 + 3 * day, visits: 1, nights: 15) == (1000, "gold"))
    }

    @Test func lastMonthsSpendDecidesThisMonthsRate() throws {
        let h = try Harness(programme: Self.programme(Self.beautyTiers(upgradeInPeriod: false)))
        let jan = Clock.at(2026, 1, 10)
        let feb = Clock.at(2026, 2, 3)
        let mar = Clock.at(2026, 3, 1, hour: 0)
        // January (December: nothing): 3 %: 120,000 × 300 / 10000 / 2 = 1800.
        #expect(try accrue(h, "alpha", "j1", 120_000, at: jan) == (1800, "3%"))
        // 1,200.00 in January: no upgrade within the month (upgrade_in_period false).
        #expect(try accrue(h, "alpha", "j2", 10_000, at: jan + day) == (150, "3%"))
        // February: January's 1,300.00 is 1,000–1,500: 10 %: 10,000 × 1000 / 10000 / 2 = 500.
        #expect(try accrue(h, "alpha", "f1", 10_000, at: feb) == (500, "10%"))
        // March 1st, 00:00 UTC: February's 100.00 decides: 3 % again.
        #expect(try balanceStatus(h, at: mar - 1) == "10%")
        #expect(try balanceStatus(h, at: mar) == "3%")
        #expect(try accrue(h, "alpha", "m1", 10_000, at: mar) == (150, "3%"))
    }

    @Test func withUpgradeInPeriodReachingTheThresholdUpgradesAtOnceAndHoldsNextMonth() throws {
        let h = try Harness(programme: Self.programme(Self.beautyTiers(upgradeInPeriod: true)))
        let jan = Clock.at(2026, 1, 10)
        // 1,000.00 in one purchase: 10 % at once: 100,000 × 1000 / 10000 / 2 = 5000.
        #expect(try accrue(h, "alpha", "j1", 100_000, at: jan) == (5000, "10%"))
        // 1,500.01 in January: 15 %: 50,001 × 1500 / 10000 / 2 = 3750 (3750.075).
        #expect(try accrue(h, "alpha", "j2", 50_001, at: jan + day) == (3750, "15%"))
        // All February on January's spend; March on February's (nothing): 3 %.
        #expect(try balanceStatus(h, at: Clock.at(2026, 2, 28)) == "15%")
        #expect(try balanceStatus(h, at: Clock.at(2026, 3, 1)) == "3%")
    }

    @Test func inactivityDowngradesAndCountingStartsAgain() throws {
        var tiers = Self.hotelTiers
        tiers.downgradeAfterInactiveDays = 90
        let h = try Harness(programme: Self.programme(tiers))
        for i in 0..<10 { _ = try accrue(h, "beta", "s\(i)", 1_000, at: t0 + Int64(i) * day, visits: 1) }
        let last = t0 + 9 * day
        #expect(try balanceStatus(h, at: last + 90 * day - 1) == "silver")
        // 90 days without a counted accrual: the base status, though the 365-day window
        // still holds 10 visits.
        #expect(try balanceStatus(h, at: last + 90 * day) == "guest")
        // Counting starts again: this visit is the first (guest, beta's own 5 %: 250), the
        // next one the second (bronze).
        #expect(try accrue(h, "beta", "r1", 10_000, at: last + 100 * day, visits: 1) == (250, "guest"))
        #expect(try accrue(h, "beta", "r2", 10_000, at: last + 101 * day, visits: 1).status == "bronze")
    }

    @Test func delayedActivationEarnsTheNewStatusFromTheNextVisit() throws {
        var tiers = Self.hotelTiers
        tiers.levels[1].earn = .rates(defaultBasisPoints: 1000, categories: [:])  // bronze 10 % to tell it apart
        tiers.activation = .nextVisit
        let h = try Harness(programme: Self.programme(tiers))
        #expect(try accrue(h, "beta", "s1", 10_000, at: t0, visits: 1) == (250, "guest"))
        // The 2nd check-in qualifies for bronze (the result says so) but earns as a guest: 250.
        #expect(try accrue(h, "beta", "s2", 10_000, at: t0 + day, visits: 1) == (250, "bronze"))
        // The next one earns bronze's 10 %: 500.
        #expect(try accrue(h, "beta", "s3", 10_000, at: t0 + 2 * day, visits: 1) == (500, "bronze"))
    }

    @Test func onlyThePartnerSetCountsAndEarnsByStatus() throws {
        var tiers = Self.spendTiers
        tiers.partnerIds = ["alpha"]
        let h = try Harness(programme: Self.programme(tiers))
        // 20,000 at beta: not counted, beta's own 5 %: 500; the member stays base.
        #expect(try accrue(h, "beta", "b1", 20_000, at: t0) == (500, "base"))
        // 10,000 at alpha: silver, 1500 bp: 750.
        #expect(try accrue(h, "alpha", "a1", 10_000, at: t0) == (750, "silver"))
        // beta still earns its own rate for a silver member: 500, not 750.
        #expect(try accrue(h, "beta", "b2", 20_000, at: t0) == (500, "silver"))
    }

    @Test func multiplierScalesEachPartnersRateAndRatesReplaceIt() throws {
        let h = try Harness(programme: Self.programme(Self.spendTiers))
        _ = try accrue(h, "gamma", "g0", 10_000, at: t0)  // 10,000: silver
        // silver ×1.5: alpha 1500 bp, beta 750 bp, gamma 300 bp on 10,000: 750 / 375 / 150.
        #expect(try accrue(h, "alpha", "a1", 10_000, at: t0, member: "m1").points == 750)
        #expect(try accrue(h, "beta", "b1", 10_000, at: t0).points == 375)
        #expect(try accrue(h, "gamma", "g1", 10_000, at: t0).points == 150)
        // 50,000 reached (40,000 so far + 10,000): gold's 20 % replaces every partner's rate.
        #expect(try accrue(h, "gamma", "g2", 10_000, at: t0) == (1000, "gold"))
        #expect(try accrue(h, "beta", "b2", 10_000, at: t0).points == 1000)
    }

    @Test func aRefundTakesItsAmountOffTheOriginalsBucketAndKeepsEarnedPoints() throws {
        let h = try Harness(programme: Self.programme(Self.spendTiers))
        #expect(try accrue(h, "alpha", "a1", 12_000, at: t0) == (900, "silver"))  // 12000 × 1500 / 10000 / 2
        // Refund 3,000 of it: 9,000 left in t0's bucket: base. The claw is proportional to
        // the points the original earned (900 × 3000 / 12000 = 225), nothing more.
        let refund = Transaction(
            partnerId: "alpha", partnerTxnId: "r1", memberId: "m1", eventTimeMilliseconds: t0 + day,
            body: .refund(originalPartnerTxnId: "a1", amountMinor: 3_000, currency: "EUR"))
        guard case .result(_, _, let outcome, _, let facts) = try #require(try h.run([.transaction(refund)]).first) else {
            Issue.record("expected a result")
            return
        }
        #expect(outcome.status == .accepted && outcome.pointsDelta == -225 && outcome.balanceAfter == 675)
        #expect(facts.status == "base")
        // 1,000 more: 10,000 again: silver.
        #expect(try accrue(h, "alpha", "a2", 1_000, at: t0 + day) == (75, "silver"))
    }

    @Test func aLateTransactionEarnsByTheStatusOfItsOwnTime() throws {
        let h = try Harness(programme: Self.programme(Self.spendTiers))
        #expect(try accrue(h, "alpha", "a1", 10_000, at: t0) == (750, "silver"))  // 10000 × 1500 / 10000 / 2
        // Day 20: 30,000 more: 40,000 in the window, still silver (gold from 50,000).
        #expect(try accrue(h, "alpha", "a2", 30_000, at: t0 + 20 * day) == (2250, "silver"))
        // A purchase of day 10 claimed late: its window (days −19…10) holds t0's 10,000 and
        // itself, not day 20's 30,000: silver, 1000 × 1500 / 10000 / 2 = 75; the result
        // names the status at its own time.
        #expect(try accrue(h, "alpha", "late", 1_000, at: t0 + 10 * day) == (75, "silver"))
        // It counts on its own day: day 20's window now holds 41,000; 9,000 more is gold.
        #expect(try accrue(h, "alpha", "a3", 9_000, at: t0 + 20 * day) == (900, "gold"))  // 9000 × 2000 / 10000 / 2
    }

    @Test func statusStateIsStoredWithTheMemberAndSurvivesAReopen() throws {
        let h = try Harness(programme: Self.programme(Self.spendTiers))
        _ = try accrue(h, "alpha", "a1", 10_000, at: t0)
        try h.reopen()
        #expect(try balanceStatus(h, at: t0 + day) == "silver")
        // A programme without statuses reports no status.
        let plain = try Harness()
        _ = try plain.tx("alpha", "a1", accrual(10_000))
        #expect(try balanceStatus(plain, at: t0) == "")
    }

    @Test func aChangedPeriodStartsCountingAgain() throws {
        let daily = LedgerRules(programme: try Self.programme(Self.spendTiers))
        let monthly = LedgerRules(programme: try Self.programme(Self.beautyTiers(upgradeInPeriod: true)))
        func t(_ id: String, _ amount: Int64, at time: Int64) -> Transaction {
            Transaction(partnerId: "alpha", partnerTxnId: id, memberId: "m1", eventTimeMilliseconds: time, body: accrual(amount))
        }
        var member = MemberState.new
        daily.countForStatus(t("a1", 120_000, at: t0), amountMinor: 120_000, member: &member)
        #expect(daily.statusName(member, at: t0) == "gold" && member.programme.status.unit == nil)
        // Day keys (about 20,470) read as months would be the 17th century, or the future
        // the other way round: under monthly periods they do not count.
        #expect(monthly.statusName(member, at: t0) == "3%")
        monthly.countForStatus(t("a2", 100_000, at: t0 + day), amountMinor: 100_000, member: &member)
        #expect(member.programme.status.unit == "month" && member.programme.status.buckets.count == 1)
        #expect(monthly.statusName(member, at: t0 + day) == "10%")
        // And back: the month's bucket does not count for days either.
        #expect(daily.statusName(member, at: t0 + day) == "base")
    }

    @Test func stateStaysBoundedToTheWindow() throws {
        let rules = LedgerRules(programme: try Self.programme(Self.spendTiers))
        var member = MemberState.new
        for i in 0..<200 {
            let t = Transaction(
                partnerId: "alpha", partnerTxnId: "a\(i)", memberId: "m1", eventTimeMilliseconds: t0 + Int64(i) * day, body: accrual(100))
            rules.countForStatus(t, amountMinor: 100, member: &member)
        }
        // A 30-day window keeps at most 30 daily buckets.
        #expect(member.programme.status.buckets.count == 30)
        #expect(member.programme.status.buckets.first?.key == CivilTime.floorDivide(t0, day).0 + 170)
        // The stored text round-trips.
        let text = try #require(member.programme.storedText)
        #expect(try MemberProgramme.stored(text, memberId: "m1") == member.programme)
        #expect(try MemberProgramme.stored("{\"status\":{}}", memberId: "m1").status == StatusState())
        // Keys after the first are distances: 20 and 23.
        let stored = try MemberProgramme.stored("{\"status\":{\"b\":\"20,5,1,0;3,0,0,2\",\"last\":7}}", memberId: "m1").status
        #expect(stored == StatusState(buckets: [.init(key: 20, spendMinor: 5, visits: 1), .init(key: 23, nights: 2)], lastActivityMilliseconds: 7))
        #expect(StatusState.text(stored.buckets) == "20,5,1,0;3,0,0,2")
        #expect(StatusState.buckets("-3,1,1,1;2,0,0,0")?.map(\.key) == [-3, -1])
        // Anything else is a corrupt state, not a guess.
        for bad in ["20,5,1", "20,5,1,0;0,1,1,1", "20,5,1,0;", "20,-5,1,0", "20,5,1,0,9", "x", "20,5,1,99999999999999999999", "1--2,0,0,0"] {
            #expect(StatusState.buckets(bad) == nil, "\(bad)")
            #expect(throws: LedgerError.self) { try MemberProgramme.stored("{\"status\":{\"b\":\"\(bad)\"}}", memberId: "m1") }
        }
    }
}
