import Foundation
import Programme
import Testing

@testable import Ledger

extension Programme {
    /// `handWorked` with an idempotency horizon and a reversal window (days).
    static func withHorizon(_ horizon: Int, window: Int, expiryMonths: Int = 12) -> Programme {
        var programme = Programme.handWorked
        programme.idempotencyHorizonDays = horizon
        programme.reversalWindowDays = window
        programme.expiryMonths = expiryMonths
        return programme
    }
}

/// The idempotency horizon and the reversal window (docs/design.md, "Bounded hot state"):
/// refusals in event time against the log time, the last sealed barrier's close time.
@Suite struct HorizonTests {
    let day = Clock.day
    let t0 = Clock.t0

    @Test func aTransactionPastTheHorizonIsRefusedAndChangesNothingButItsJournalRow() throws {
        let h = try Harness(programme: .withHorizon(30, window: 60))
        // Before the first barrier there is no log time: an old transaction is accepted.
        #expect(try h.tx("alpha", "old", at: t0 - 400 * day, accrual(10_000)).status == .accepted)
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: t0 + 40 * day)])
        let before = try h.shard.totals()
        let balance = try h.shard.member("m1")

        let late = try h.tx("alpha", "late", at: t0 + 9 * day, accrual(10_000))
        #expect(late.status == .rejected)
        #expect(late.reason == .pastIdempotencyHorizon)
        #expect(late.detail.hasPrefix("occurred_at_ms:"))
        #expect(try h.shard.member("m1") == balance)
        let after = try h.shard.totals()
        #expect(after.partners == before.partners && after.debts == before.debts)
        #expect(after.rejected == before.rejected + 1)
        // Its journal row answers a repeat as the rejection it was.
        let repeated = try h.tx("alpha", "late", at: t0 + 9 * day, accrual(10_000))
        #expect(repeated.status == .duplicate)

        // Exactly at the horizon and inside it: accepted as today.
        #expect(try h.tx("alpha", "edge", at: t0 + 10 * day, accrual(10_000)).status == .accepted)
        #expect(try h.tx("beta", "fresh", at: t0 + 39 * day, accrual(10_000)).status == .accepted)
        #expect(try h.tx("beta", "future", at: t0 + 90 * day, .redemption(points: 10)).status == .accepted)
    }

    @Test func aDuplicateStillInTheHotJournalStaysADuplicatePastTheHorizon() throws {
        let h = try Harness(programme: .withHorizon(30, window: 60))
        #expect(try h.tx("alpha", "a1", at: t0, accrual(10_000)).status == .accepted)
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: t0 + 45 * day)])
        #expect(try h.tx("alpha", "a1", at: t0, accrual(10_000)).status == .duplicate)
    }

    @Test func refundsAndCancelsPastTheWindowAreRefused() throws {
        let h = try Harness(programme: .withHorizon(90, window: 60))
        try h.tx("alpha", "a1", at: t0, accrual(10_000))
        try h.tx("alpha", "a2", at: t0, accrual(10_000))
        try h.tx("beta", "r1", at: t0, .redemption(points: 100))
        try h.tx("beta", "r2", at: t0, .redemption(points: 100))
        let balance = try h.shard.member("m1").balance

        let lateRefund = try h.tx("alpha", "f1", at: t0 + 61 * day, .refund(originalPartnerTxnId: "a1", amountMinor: 1_000, currency: "EUR"))
        #expect(lateRefund.reason == .pastReversalWindow)
        #expect(lateRefund.detail.hasPrefix("original_partner_txn_id:"))
        let lateCancel = try h.tx("beta", "c1", at: t0 + 61 * day, .cancel(originalPartnerTxnId: "r1"))
        #expect(lateCancel.reason == .pastReversalWindow)
        #expect(try h.shard.member("m1").balance == balance)

        // Inside the window: accepted as today.
        let refund = try h.tx("alpha", "f2", at: t0 + 60 * day, .refund(originalPartnerTxnId: "a1", amountMinor: 1_000, currency: "EUR"))
        #expect(refund.status == .accepted && refund.pointsDelta < 0)
        #expect(try h.tx("beta", "c2", at: t0 + 59 * day, .cancel(originalPartnerTxnId: "r1")).status == .accepted)

        // A back-dated reversal counts from the log time when that is later than its own time.
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: t0 + 70 * day)])
        let backDated = try h.tx("alpha", "f3", at: t0 + 30 * day, .refund(originalPartnerTxnId: "a2", amountMinor: 1_000, currency: "EUR"))
        #expect(backDated.reason == .pastReversalWindow)
        #expect(try h.tx("beta", "c3", at: t0 + 30 * day, .cancel(originalPartnerTxnId: "r2")).reason == .pastReversalWindow)
    }

    @Test func withoutHorizonsNothingIsRefusedForAge() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", at: t0, accrual(10_000))
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: t0 + 4_000 * day)])
        #expect(try h.tx("alpha", "a2", at: t0 + day, accrual(10_000)).status == .accepted)
        #expect(
            try h.tx("alpha", "f1", at: t0 + 3_000 * day, .refund(originalPartnerTxnId: "a1", amountMinor: 100, currency: "EUR")).status == .accepted)
    }

    @Test func theInMemoryLedgerRefusesAsTheShardDoes() throws {
        var memory = MemoryLedger(programme: .withHorizon(30, window: 60))
        let old = Transaction(partnerId: "alpha", partnerTxnId: "x", memberId: "m1", eventTimeMilliseconds: t0, body: accrual(10_000))
        #expect(memory.apply(old, offset: 0).0.status == .accepted)
        memory.logTime = t0 + 31 * day
        let late = Transaction(partnerId: "alpha", partnerTxnId: "y", memberId: "m1", eventTimeMilliseconds: t0, body: accrual(10_000))
        #expect(memory.apply(late, offset: 1).0.reason == .pastIdempotencyHorizon)
        let refund = Transaction(
            partnerId: "alpha", partnerTxnId: "z", memberId: "m1", eventTimeMilliseconds: t0 + 61 * day,
            body: .refund(originalPartnerTxnId: "x", amountMinor: 100, currency: "EUR"))
        #expect(memory.apply(refund, offset: 2).0.reason == .pastReversalWindow)
    }
}
