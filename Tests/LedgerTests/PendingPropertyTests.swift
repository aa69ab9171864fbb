import Foundation
import LoyaltyTesting
import Testing

@testable import Ledger
@testable import Programme

/// Pending points under random workloads (issue 13, "What it must show"): the rules over
/// dictionaries (`MemoryLedger`) with two partners holding their accruals 3 and 14 days,
/// under each expiry policy. A redemption never takes points before their release, every
/// reported balance leaves the pending points out, and lots add up to balance + pending.
/// (Replay in other batch sizes: `ExpiryPolicyTests.replayGivesTheSameDigestUnderEveryPolicy`
/// runs the same partners through a shard with barriers.)
@Suite(.timeLimit(.minutes(10)))
struct PendingPropertyTests {
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func redemptionsNeverTakePendingPoints(seed: UInt64) async throws {
        let kinds: [ExpiryPolicy.Kind?] = [
            nil, .endOfMonth(months: 1), .never, .inactivity(months: 1), .endOfYear(years: 0), .monthsAfterEarning(months: 2),
        ]
        let programme = ExpiryPolicyTests.programme(kinds[Int(seed) % kinds.count], pendingDays: ["fuel": 14, "hotel": 3])
        let entries = Workload.entries(seed: seed, count: 2500, programme: programme, members: 8, plain: true)
        var ledger = MemoryLedger(programme: programme)
        var pendingSeen: Int64 = 0
        var redemptionsAfterPending = 0
        // A long synchronous loop would hold one of the few cooperative threads (2 on CI)
        // and starve the suites that await (in-process gateways, 1-minute limits): yield.
        var pool = PoolYield()
        for entry in entries {
            await pool.ifDue()
            guard case .transaction(let t) = entry.kind else { continue }
            let time = t.eventTimeMilliseconds
            let pendingBefore = LedgerRules.pendingPoints(ledger.member(t.memberId), lots: ledger.openLots(t.memberId), at: time)
            let (outcome, _) = ledger.apply(t, offset: entry.offset)
            let member = ledger.member(t.memberId)
            let lots = ledger.openLots(t.memberId)
            // Every reported balance is what can be spent then: pending left out.
            #expect(outcome.balanceAfter == LedgerRules.spendable(member, lots: lots, at: time), "offset \(entry.offset)")
            if case .redemption = t.body, outcome.status == .accepted {
                for portion in ledger.portionsByRedemption[entry.offset] ?? [] {
                    let lot = try #require(ledger.lots[portion.lotId]).lot
                    #expect(
                        lot.availableAtMilliseconds <= time, "offset \(entry.offset): lot \(lot.lotId) released at \(lot.availableAtMilliseconds)")
                }
                if pendingBefore > 0 { redemptionsAfterPending += 1 }
            }
            // Lots add up: spendable + pending + due-but-not-yet-expired = lots − shortfall.
            let pending = LedgerRules.pendingPoints(member, lots: lots, at: time)
            let due =
                LedgerRules.isInactive(member, at: time)
                ? lots.reduce(0) { $0 + $1.pointsLeft } : lots.filter { $0.expiresAtMilliseconds <= time }.reduce(0) { $0 + $1.pointsLeft }
            #expect(LedgerRules.spendable(member, lots: lots, at: time) + pending + due == lots.reduce(0) { $0 + $1.pointsLeft } - member.shortfall)
            #expect(member.balance == lots.reduce(0) { $0 + $1.pointsLeft } - member.shortfall)
            #expect(member.shortfall == 0 || lots.isEmpty)
            pendingSeen = max(pendingSeen, pending)
        }
        #expect(pendingSeen > 0 && redemptionsAfterPending > 10, "the workload exercised pending points")
        // Each redeemed point is one debt of its value from its issuer.
        let redeemed = ledger.stats.values.reduce(0) { $0 + $1.redeemed }
        let owed = ledger.debtTotals.filter { $0.payer != programme.operatorId }.reduce(0) { $0 + $1.amountMinor }
        #expect(owed == redeemed * programme.pointValueMinor)
    }
}
