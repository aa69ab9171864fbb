import Foundation
import Programme
import Testing

@testable import Ledger

/// Suspended partners (deposit exhausted in refuse mode): the barrier lists them, and until
/// the next sealing barrier their accruals are refused DEPOSIT_EXHAUSTED.
@Suite(.timeLimit(.minutes(10)))
struct SuspensionTests {
    let day = Clock.day

    @Test func accrualsOfASuspendedPartnerAreRefusedUntilTheNextBarrier() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", accrual(10_000))  // 500 points
        try h.tx("beta", "r0", .redemption(points: 100))
        try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + day, accrualSuspended: ["alpha"])])
        let refused = try h.tx("alpha", "a2", at: Clock.t0 + 2 * day, accrual(10_000))
        #expect(refused.status == .rejected && refused.reason == .depositExhausted)
        #expect(
            refused.detail
                == "partner_id: alpha's deposit is exhausted (barrier of cycle 1); accruals are refused until it is topped up")
        #expect(try h.shard.member("m1").balance == 400)
        // Other partners accrue; alpha's refunds, redemptions and cancels go through.
        #expect(try h.tx("beta", "b1", at: Clock.t0 + 2 * day, accrual(10_000)).status == .accepted)
        #expect(try h.tx("alpha", "r1", at: Clock.t0 + 2 * day, .redemption(points: 10)).status == .accepted)
        #expect(try h.tx("alpha", "c1", at: Clock.t0 + 2 * day, .cancel(originalPartnerTxnId: "r1")).status == .accepted)
        #expect(
            try h.tx("alpha", "f1", at: Clock.t0 + 2 * day, .refund(originalPartnerTxnId: "a1", amountMinor: 1_000, currency: "EUR")).status
                == .accepted)
        // A repeated barrier of cycle 1 (without the list) and a stale one change nothing.
        try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + day)])
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: Clock.t0)])
        #expect(try h.tx("alpha", "a3", at: Clock.t0 + 2 * day, accrual(10_000)).reason == .depositExhausted)
        // It survives a restart.
        try h.reopen()
        #expect(try h.tx("alpha", "a4", at: Clock.t0 + 2 * day, accrual(10_000)).reason == .depositExhausted)
        // The next barrier lists nobody: alpha accrues again.
        try h.run([.barrier(cycle: 2, closedAtMilliseconds: Clock.t0 + 3 * day)])
        #expect(try h.tx("alpha", "a5", at: Clock.t0 + 4 * day, accrual(10_000)).status == .accepted)
        // A later barrier suspends gamma instead; the cycle in the reason is that barrier's.
        try h.run([.barrier(cycle: 3, closedAtMilliseconds: Clock.t0 + 5 * day, accrualSuspended: ["gamma", "gamma"])])
        #expect(try h.tx("alpha", "a6", at: Clock.t0 + 6 * day, accrual(10_000)).status == .accepted)
        #expect(try h.tx("gamma", "g1", at: Clock.t0 + 6 * day, accrual(10_000)).detail.contains("barrier of cycle 3"))
    }

    @Test func theSuspendedSetIsLedgerContentAndReplaysTheSame() throws {
        let t = Clock.t0
        func entries(suspending: [String]) -> [LedgerEntry.Kind] {
            [
                .transaction(Transaction(partnerId: "alpha", partnerTxnId: "a1", memberId: "m1", eventTimeMilliseconds: t, body: accrual(10_000))),
                .barrier(cycle: 1, closedAtMilliseconds: t + day, accrualSuspended: suspending),
                .transaction(
                    Transaction(partnerId: "beta", partnerTxnId: "b1", memberId: "m1", eventTimeMilliseconds: t + day, body: accrual(10_000))),
                .barrier(cycle: 2, closedAtMilliseconds: t + 2 * day, accrualSuspended: suspending),
            ]
        }
        let one = try Harness()
        for kind in entries(suspending: ["alpha"]) { try one.run([kind]) }
        let all = try Harness()
        try all.run(entries(suspending: ["alpha"]))
        let none = try Harness()
        try none.run(entries(suspending: []))
        #expect(try one.shard.digest() == all.shard.digest())
        #expect(try one.shard.positions() == all.shard.positions())
        // The set is in the digest and in the cycle's chained digest.
        #expect(try none.shard.digest() != all.shard.digest())
        #expect(try none.shard.positions().map(\.ledgerDigest) != all.shard.positions().map(\.ledgerDigest))
    }
}
