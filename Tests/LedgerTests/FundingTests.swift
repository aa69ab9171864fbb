import Foundation
import LoyaltyTesting
import Programme
import Testing

@testable import Ledger

extension Programme {
    /// `handWorked` (point value 2; alpha earns 10 % with a 1.5 % fee, beta 5 % with 1 %,
    /// gamma 2 % without) with funding models and fees per redemption for the partners named.
    static func handWorked(
        funding: [String: FundingModel], redemptionFees: [String: Int64] = [:], promotions: [Promotion] = []
    ) -> Programme {
        let base = Programme.handWorked(promotions: promotions)
        var programme = Programme(
            version: base.version, currency: base.currency, currencyExponent: base.currencyExponent, pointValueMinor: base.pointValueMinor,
            expiryMonths: base.expiryMonths, maxCardsPerAccount: base.maxCardsPerAccount, operatorAccount: base.operatorAccount,
            floors: base.floors,
            partners: base.partners.map { partner in
                var partner = partner
                partner.fundingModel = funding[partner.id] ?? .onRedemption
                partner.fees.perRedemptionMinor = redemptionFees[partner.id] ?? 0
                return partner
            })
        programme.promotions = promotions
        return programme
    }
}

extension Harness {
    /// Seals the open cycle as `cycle` and returns its position.
    func seal(_ cycle: Int64, at time: Int64) throws -> CyclePosition {
        let outputs = try run([.barrier(cycle: cycle, closedAtMilliseconds: time)])
        guard case .position(let position) = try #require(outputs.last) else {
            Issue.record("no position sealed: \(outputs)")
            throw LedgerError(.invalidBatch, "no position")
        }
        return position
    }
}

extension CyclePosition {
    func points(_ partnerId: String) -> PartnerPoints? { points.first { $0.partnerId == partnerId } }
    func debt(_ payer: String, _ payee: String) -> Int64 {
        debts.first { $0.payer == payer && $0.payee == payee }?.amountMinor ?? 0
    }
}

/// Funding models and fees per redemption, worked by hand (docs/finance.md, "Funding models").
@Suite(.timeLimit(.minutes(10)))
struct FundingTests {
    let day = Clock.day

    @Test func onRedemptionTheIssuerPaysWhenItsPointsAreSpent() throws {
        let h = try Harness(programme: .handWorked(funding: [:], redemptionFees: ["beta": 25]))
        // alpha: 10,000 × 10 % / 2 = 500 points, fee 1.5 % = 150; nothing else owed yet.
        try h.tx("alpha", "a1", accrual(10_000))
        // beta takes 100 of alpha's points: alpha owes beta 100 × 2 = 200; beta owes the
        // operator its fee of 25 per redemption.
        try h.tx("beta", "r1", .redemption(points: 100))
        let p = try h.seal(1, at: Clock.t0 + day)
        #expect(p.debt("alpha", "operator") == 150 && p.debt("alpha", "beta") == 200 && p.debt("beta", "operator") == 25)
        #expect(p.debt("operator", "beta") == 0)
        #expect(p.points("alpha") == PartnerPoints(partnerId: "alpha", issued: 500, feesMinor: 150, outstanding: 400))
        #expect(p.points("beta") == PartnerPoints(partnerId: "beta", redeemed: 100, redemptionFeesMinor: 25))
    }

    @Test func operatorFundedThePartnerBuysItsPointsAtAccrualAndTheOperatorPaysAtRedemption() throws {
        let h = try Harness(programme: .handWorked(funding: ["alpha": .operatorFunded], redemptionFees: ["beta": 25]))
        // alpha: 500 points; it owes the operator its fee 150 and their value 500 × 2 = 1,000.
        try h.tx("alpha", "a1", accrual(10_000))
        // gamma (on redemption): 10,000 × 2 % / 2 = 100 points, no fee, nothing owed.
        try h.tx("gamma", "g1", at: Clock.t0 + day, accrual(10_000))
        // beta takes 450: alpha's lot (earliest expiry) gives 450, and the operator, which
        // was paid for them, owes beta 900; beta owes its fee of 25.
        try h.tx("beta", "r1", at: Clock.t0 + 2 * day, .redemption(points: 450))
        // beta takes 100 more: 50 from alpha's lot (operator owes 100), 50 from gamma's
        // (gamma owes 100); fee 25 again.
        try h.tx("beta", "r2", at: Clock.t0 + 3 * day, .redemption(points: 100))
        let p = try h.seal(1, at: Clock.t0 + 4 * day)
        #expect(p.debt("alpha", "operator") == 150 + 1_000)
        #expect(p.debt("operator", "beta") == 900 + 100)
        #expect(p.debt("gamma", "beta") == 100)
        #expect(p.debt("alpha", "beta") == 0)
        #expect(p.debt("beta", "operator") == 50)
        #expect(p.points("alpha") == PartnerPoints(partnerId: "alpha", issued: 500, feesMinor: 150, outstanding: 0, fundedMinor: 1_000))
        #expect(p.points("gamma") == PartnerPoints(partnerId: "gamma", issued: 100, outstanding: 50))
        #expect(p.points("beta") == PartnerPoints(partnerId: "beta", redeemed: 550, redemptionFeesMinor: 50))
        // The operator: +1,000 funding − 1,000 paid out = 0 (it keeps alpha's fee, 150, and beta's fees, 50).
        #expect(p.debt("alpha", "operator") - 150 - p.debt("operator", "beta") + p.debt("gamma", "beta") == 100)
    }

    @Test func cancelAndRefundAreMirrorImages() throws {
        let h = try Harness(programme: .handWorked(funding: ["alpha": .operatorFunded], redemptionFees: ["beta": 25]))
        try h.tx("alpha", "a1", accrual(10_000))  // 500 points; alpha → operator 150 + 1,000
        try h.tx("beta", "r1", .redemption(points: 100))  // operator → beta 200; beta → operator 25
        // The cancel reverses both: operator → beta −200, beta → operator −25.
        try h.tx("beta", "c1", .cancel(originalPartnerTxnId: "r1"))
        // Half the purchase refunded: 250 points clawed back (from alpha's lot), fee back 75,
        // and the value of the clawed points back: 250 × 2 = 500.
        try h.tx("alpha", "f1", .refund(originalPartnerTxnId: "a1", amountMinor: 5_000, currency: "EUR"))
        let p = try h.seal(1, at: Clock.t0 + day)
        #expect(p.debt("alpha", "operator") == 1_150 - 75 - 500)
        #expect(p.debt("operator", "beta") == 0 && p.debt("beta", "operator") == 0)
        #expect(
            p.points("alpha")
                == PartnerPoints(partnerId: "alpha", issued: 500, clawedBack: 250, feesMinor: 75, outstanding: 250, fundedMinor: 500))
        #expect(p.points("beta") == PartnerPoints(partnerId: "beta", redeemed: 0, redemptionFeesMinor: 0))
        // The rest refunded: 250 more points, fee 75, funding 500: nothing left owed.
        try h.tx("alpha", "f2", at: Clock.t0 + 2 * day, .refund(originalPartnerTxnId: "a1", amountMinor: 5_000, currency: "EUR"))
        let q = try h.seal(2, at: Clock.t0 + 3 * day)
        #expect(q.debt("alpha", "operator") == -75 - 500)
        #expect(q.points("alpha") == PartnerPoints(partnerId: "alpha", clawedBack: 250, feesMinor: -75, outstanding: 0, fundedMinor: -500))
    }

    @Test func aCancelReversesTheDebtsItsRedemptionMadeEvenAfterTheProgrammeChanged() throws {
        let funded = Programme.handWorked(funding: ["alpha": .operatorFunded], redemptionFees: ["beta": 25])
        let h = try Harness(programme: funded)
        try h.tx("alpha", "a1", accrual(10_000))
        try h.tx("beta", "r1", .redemption(points: 100))  // operator → beta 200, beta → operator 25
        // The shard reopens with alpha on redemption and beta without a fee.
        h.shard.close()
        h.shard = try Shard(path: h.path, partition: h.shard.partition, programme: .handWorked(funding: [:]))
        try h.tx("beta", "c1", .cancel(originalPartnerTxnId: "r1"))
        let p = try h.seal(1, at: Clock.t0 + day)
        // Reversed as journaled: the operator's debt and beta's fee, not alpha's.
        #expect(p.debt("operator", "beta") == 0 && p.debt("beta", "operator") == 0 && p.debt("alpha", "beta") == 0)
        #expect(p.points("beta")?.redemptionFeesMinor == 0)
    }

    @Test func aRefundIntoShortfallGivesTheFundingBackAndTheNextPointsBuyItAgain() throws {
        let h = try Harness(programme: .handWorked(funding: ["alpha": .operatorFunded]))
        try h.tx("alpha", "a1", accrual(10_000))  // 500 points; alpha → operator 150 + 1,000
        try h.tx("beta", "r1", .redemption(points: 500))  // operator → beta 1,000
        // Fully refunded: 500 points clawed, all of them shortfall; fee 150 and funding
        // 1,000 back. The operator paid beta 1,000 and gave the funding back: it carries
        // the shortfall's value (1,000) until the member's next points pay it off.
        try h.tx("alpha", "f1", .refund(originalPartnerTxnId: "a1", amountMinor: 10_000, currency: "EUR"))
        #expect(try h.shard.member("m1").shortfall == 500)
        let p = try h.seal(1, at: Clock.t0 + day)
        #expect(p.debt("alpha", "operator") == 0 && p.debt("operator", "beta") == 1_000)
        // The member's next 500 points at alpha pay the shortfall off, bought for 1,000:
        // the operator is square again (and keeps the fee, 150).
        try h.tx("alpha", "a2", at: Clock.t0 + 2 * day, accrual(10_000))
        #expect(try h.shard.member("m1").shortfall == 0 && h.shard.member("m1").balance == 0)
        let q = try h.seal(2, at: Clock.t0 + 3 * day)
        #expect(q.debt("alpha", "operator") == 1_150)
        #expect(q.points("alpha") == PartnerPoints(partnerId: "alpha", issued: 500, feesMinor: 150, outstanding: 0, fundedMinor: 1_000))
    }

    @Test func promotionBonusesAreBoughtByAnOperatorFundedFunderAndPaidByTheOperator() throws {
        // alpha's double points (funded by alpha, operator-funded) and the operator's welcome bonus of 100.
        let double = Promotion.make("double", .multiplier, funder: "alpha", partners: ["alpha"], multiplier: 20_000)
        let welcome = Promotion.make("welcome", .welcome, funder: "operator", bonus: 100)
        let h = try Harness(programme: .handWorked(funding: ["alpha": .operatorFunded], promotions: [double, welcome]))
        // 500 points + alpha's bonus 500 + the operator's 100: alpha buys 1,000 points
        // (2,000); the operator as funder owes nobody.
        #expect(try h.tx("alpha", "a1", accrual(10_000)).pointsDelta == 1_100)
        // Spending all 1,100 at beta: the operator owes beta 2,200 (alpha's and its own points).
        try h.tx("beta", "r1", .redemption(points: 1_100))
        let p = try h.seal(1, at: Clock.t0 + day)
        #expect(p.debt("alpha", "operator") == 150 + 2_000)
        #expect(p.debt("operator", "beta") == 2_200)
        #expect(p.points("alpha")?.fundedMinor == 2_000 && p.points("operator")?.fundedMinor == 0)
        #expect(p.points("operator")?.promoted == 100)
    }

    @Test func everyJournaledTransactionTracesTheDebtsItMade() throws {
        let h = try Harness(programme: .handWorked(funding: ["alpha": .operatorFunded], redemptionFees: ["beta": 25]))
        try h.tx("alpha", "a1", accrual(10_000))  // offset 0
        try h.tx("beta", "r1", .redemption(points: 100))  // offset 1
        try h.tx("beta", "c1", .cancel(originalPartnerTxnId: "r1"))  // offset 2
        try h.tx("gamma", "x", .redemption(points: 1_000_000))  // offset 3: rejected, no debts
        _ = try h.seal(1, at: Clock.t0 + day)
        let traced = try #require(try h.shard.tracedDebts(cycle: 1))
        func line(
            _ offset: Int64, _ txn: String, _ partner: String, _ kind: Transaction.Kind, _ payer: String, _ payee: String, _ amount: Int64
        )
            -> TracedDebt
        {
            TracedDebt(
                offset: offset, partnerId: partner, partnerTxnId: txn, memberId: "m1", kind: kind, payer: payer, payee: payee,
                amountMinor: amount)
        }
        #expect(
            traced == [
                line(0, "a1", "alpha", .accrual, "alpha", "operator", 150), line(0, "a1", "alpha", .accrual, "alpha", "operator", 1_000),
                line(1, "r1", "beta", .redemption, "operator", "beta", 200), line(1, "r1", "beta", .redemption, "beta", "operator", 25),
                line(2, "c1", "beta", .cancel, "operator", "beta", -200), line(2, "c1", "beta", .cancel, "beta", "operator", -25),
            ])
        #expect(try h.shard.tracedDebts(cycle: 2) == nil)
    }

    @Test func fundingModelsAndFeesDecodeAndCheckWithTheirFieldPaths() throws {
        func decode(_ edit: @escaping ([String: Any]) -> [String: Any]) throws -> Result<Programme, ProgrammeError> {
            try decodeEditedSample { file in
                var partners = file["partners"] as! [[String: Any]]
                partners[0] = edit(partners[0])
                file["partners"] = partners
            }
        }
        let good = try decode {
            var p = $0
            p["funding_model"] = "operator_funded"
            p["fees"] = ["per_redemption_minor": 25, "per_cycle_minor": 10_000]
            return p
        }
        let programme = try good.get()
        let first = try #require(programme.partners.first { $0.fundingModel == .operatorFunded })
        #expect(first.fees == PartnerFees(perRedemptionMinor: 25, perCycleMinor: 10_000) && first.cycleFeeMinor == 10_000)
        let defaults = try decode {
            var p = $0
            p["funding_model"] = nil
            p["fees"] = nil
            return p
        }.get()
        #expect(defaults.partners.allSatisfy { $0.fundingModel == .onRedemption || $0.fundingModel == .operatorFunded })
        let bad = try decode {
            var p = $0
            p["funding_model"] = "prepaid"
            p["fees"] = ["per_redemption_minor": -1, "per_cyle_minor": 5]
            return p
        }
        guard case .failure(let error) = bad else {
            Issue.record("accepted a bad funding model")
            return
        }
        let text = "\(error)"
        #expect(text.contains("partners[0].funding_model") && text.contains("\"prepaid\""))
        #expect(text.contains("partners[0].fees.per_redemption_minor"))
        #expect(text.contains("partners[0].fees.per_cyle_minor"))
    }
}
