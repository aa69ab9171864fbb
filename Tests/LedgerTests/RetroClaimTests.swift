import Foundation
import Programme
import Testing

@testable import Ledger

func retroClaim(receivedAt: Int64 = 0, product: String = "") -> Transaction.Details {
    var details = Transaction.Details()
    details.retroClaim = true
    details.receivedAtMilliseconds = receivedAt
    details.product = product
    return details
}

/// Retro-claims worked by hand: the claim window counted from the gateway's received
/// time, else the log time (the last sealed barrier's close time), never the wall clock;
/// priced by the rules of the receipt's time. `handWorked`: alpha earns 10 %, point value 2.
@Suite(.timeLimit(.minutes(10))) struct RetroClaimTests {
    let receipt = Clock.at(2026, 3, 10)

    @Test func refusedWithoutAClaimWindow() throws {
        let h = try Harness(programme: .handWorked())
        let outcome = try h.tx("alpha", "a1", at: receipt, accrual(10_000), details: retroClaim(receivedAt: receipt + Clock.day))
        #expect(outcome.reason == .pastClaimWindow)
        #expect(outcome.detail == "retro_claim: programme test sets no claim_window_days, so retro-claims are refused")
        // A plain accrual of the same time is not a claim.
        #expect(try h.tx("alpha", "a2", at: receipt, accrual(10_000)).pointsDelta == 500)
    }

    @Test func windowFromTheGatewaysReceivedTime() throws {
        let h = try Harness(programme: .handWorked(claimWindowDays: 30))
        // Claimed 30 days after the receipt: inside (the window's last instant).
        let inside = try h.tx("alpha", "a1", at: receipt, accrual(10_000), details: retroClaim(receivedAt: receipt + 30 * Clock.day))
        #expect(inside == Outcome(status: .accepted, pointsDelta: 500, balanceAfter: 500))
        // One millisecond later: past it.
        let late = try h.tx("alpha", "a2", at: receipt, accrual(10_000), details: retroClaim(receivedAt: receipt + 30 * Clock.day + 1))
        #expect(late.reason == .pastClaimWindow && late.balanceAfter == 500)
        #expect(late.detail.hasPrefix("occurred_at_ms: \(receipt) is more than 30 days before the claim at"))
    }

    @Test func windowFromTheLogTimeWithoutAReceivedTime() throws {
        let h = try Harness(programme: .handWorked(claimWindowDays: 30))
        // Before any barrier there is no log time: nothing is past the window.
        #expect(try h.tx("alpha", "a0", at: receipt - 400 * Clock.day, accrual(2_000), details: retroClaim()).status == .accepted)
        let closed = receipt + 40 * Clock.day
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: closed)])
        #expect(try h.tx("alpha", "a1", at: receipt, accrual(10_000), details: retroClaim()).reason == .pastClaimWindow)
        #expect(try h.tx("alpha", "a2", at: closed - 10 * Clock.day, accrual(10_000), details: retroClaim()).pointsDelta == 500)
    }

    @Test func pricedByThePromotionsOfTheReceiptsTime() throws {
        let double = Promotion.make(
            "march", .multiplier, funder: "alpha", partners: ["alpha"], from: Clock.at(2026, 3, 1, hour: 0),
            until: Clock.at(2026, 4, 1, hour: 0), multiplier: 20_000)
        let h = try Harness(programme: .handWorked(promotions: [double], claimWindowDays: 60))
        // A March receipt claimed in April: double points (500 + 500), as in March.
        let claimed = try h.tx("alpha", "a1", at: receipt, accrual(10_000), details: retroClaim(receivedAt: Clock.at(2026, 4, 20)))
        #expect(claimed.pointsDelta == 1_000)
        // Its lots expire 12 months after the receipt, not after the claim.
        #expect(try h.shard.member("m1").lots.allSatisfy { $0.expiresAtMilliseconds == Clock.at(2027, 3, 10) })
    }

    @Test func theHorizonIsCheckedFirst() throws {
        var programme = Programme.handWorked(claimWindowDays: 30)
        (programme.idempotencyHorizonDays, programme.reversalWindowDays) = (20, 20)
        let h = try Harness(programme: programme)
        let closed = receipt + 25 * Clock.day
        try h.run([.barrier(cycle: 0, closedAtMilliseconds: closed)])
        // 25 days behind the log time: inside the claim window, past the 20-day horizon.
        #expect(try h.tx("alpha", "a1", at: receipt, accrual(10_000), details: retroClaim()).reason == .pastIdempotencyHorizon)
    }
}
