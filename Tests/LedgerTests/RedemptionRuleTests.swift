import Foundation
import Programme
import Testing

@testable import Ledger

func bill(_ amountMinor: Int64) -> Transaction.Details {
    var details = Transaction.Details()
    details.billAmountMinor = amountMinor
    return details
}

func reward(_ id: String) -> Transaction.Details {
    var details = Transaction.Details()
    details.rewardId = id
    return details
}

/// A partner's redemption rules worked by hand through a shard: minimum, bill share,
/// fixed-price rewards, a settlement point value of its own (the operator bears the
/// difference). `handWorked`: point value 2; alpha earns 10 % (10,000 cents: 500 points).
@Suite(.timeLimit(.minutes(10))) struct RedemptionRuleTests {
    /// m1 with 5,000 points of alpha's (100,000 cents).
    func harness(_ redemption: [String: RedemptionRules]) throws -> Harness {
        let h = try Harness(programme: .handWorked(redemption: redemption))
        try h.tx("alpha", "a1", accrual(100_000))
        return h
    }

    @Test func minimumPointsPerRedemption() throws {
        let h = try harness(["gamma": RedemptionRules(minPoints: 1_000)])
        let below = try h.tx("gamma", "g1", .redemption(points: 999))
        #expect(below.reason == .belowMinimumRedemption && below.balanceAfter == 5_000)
        #expect(below.detail == "points: 999 is below partner \"gamma\"'s minimum of 1000 per redemption")
        #expect(try h.tx("gamma", "g2", .redemption(points: 1_000)).balanceAfter == 4_000)
        // Another partner has no minimum.
        #expect(try h.tx("beta", "b1", .redemption(points: 1)).status == .accepted)
    }

    @Test func maximumShareOfTheBill() throws {
        // beta: points may pay at most half a bill.
        let h = try harness(["beta": RedemptionRules(maxBillShareBasisPoints: 5_000)])
        let missing = try h.tx("beta", "b1", .redemption(points: 100))
        #expect(missing.reason == .invalidField && missing.detail.hasPrefix("bill_amount_minor:"))
        // 600 points × 2 = 1,200 cents, above half of a 2,000-cent bill (1,000).
        let over = try h.tx("beta", "b2", .redemption(points: 600), details: bill(2_000))
        #expect(over.reason == .overBillShare)
        #expect(over.detail == "points: 600 points are worth 1200, above 5000 bp of the bill 2000 (at most 1000)")
        // 500 points = 1,000 cents: exactly half.
        #expect(try h.tx("beta", "b3", .redemption(points: 500), details: bill(2_000)).balanceAfter == 4_500)
    }

    @Test func fixedPriceRewards() throws {
        let night = RedemptionRules.Reward(id: "free-night", points: 1_200)
        let h = try harness(["gamma": RedemptionRules(rewards: [night])])
        // points 0: the reward's price.
        #expect(try h.tx("gamma", "g1", .redemption(points: 0), details: reward("free-night")).pointsDelta == -1_200)
        // The price itself is accepted too.
        #expect(try h.tx("gamma", "g2", .redemption(points: 1_200), details: reward("free-night")).balanceAfter == 2_600)
        let wrongPrice = try h.tx("gamma", "g3", .redemption(points: 1_000), details: reward("free-night"))
        #expect(wrongPrice.reason == .unknownReward && wrongPrice.balanceAfter == 2_600)
        let unknown = try h.tx("gamma", "g4", .redemption(points: 0), details: reward("sofa"))
        #expect(unknown.reason == .unknownReward && unknown.detail == "reward_id: \"sofa\" is not a reward of partner \"gamma\"")
        // A cancel gives the price back.
        #expect(try h.tx("gamma", "c1", .cancel(originalPartnerTxnId: "g1")).pointsDelta == 1_200)
        #expect(try h.debt("alpha", "gamma") == 2_400)  // 1,200 points × 2 still redeemed (g2)
    }

    @Test func partnersOwnPointValueIsBorneByTheOperator() throws {
        // gamma settles points at 3 cents, the programme at 2; beta at 1.
        let h = try harness(["gamma": RedemptionRules(pointValueMinor: 3), "beta": RedemptionRules(pointValueMinor: 1)])
        try h.tx("gamma", "g1", .redemption(points: 100))
        // alpha (the issuer) owes gamma 100 × 2 = 200; the operator owes gamma 100 × 1 = 100.
        #expect(try h.debt("alpha", "gamma") == 200 && h.debt("operator", "gamma") == 100)
        try h.tx("beta", "b1", .redemption(points: 100))
        // beta's points are worth 1: alpha owes 200, and beta owes the operator 100 (−100).
        #expect(try h.debt("alpha", "beta") == 200 && h.debt("operator", "beta") == -100)
        // The seal's check: owed to gamma 300 = 100 redeemed × 3; to beta 100 = 100 × 1.
        let outputs = try h.run([.barrier(cycle: 0, closedAtMilliseconds: Clock.t0 + Clock.day)])
        #expect(outputs.contains { if case .position = $0 { true } else { false } })
        // A cancel reverses both debts.
        try h.tx("gamma", "c1", at: Clock.t0 + 2 * Clock.day, .cancel(originalPartnerTxnId: "g1"))
        #expect(try h.debt("alpha", "gamma") == 0 && h.debt("operator", "gamma") == 0)
    }

    @Test func rulesAreCheckedBeforeTheBalance() throws {
        let h = try harness(["gamma": RedemptionRules(minPoints: 10_000)])
        // 10,000 points is more than the balance (5,000): INSUFFICIENT_POINTS only once
        // the partner's rules pass; 9,999 is refused by the minimum first.
        #expect(try h.tx("gamma", "g1", .redemption(points: 9_999)).reason == .belowMinimumRedemption)
        #expect(try h.tx("gamma", "g2", .redemption(points: 10_000)).reason == .insufficientPoints)
    }
}
