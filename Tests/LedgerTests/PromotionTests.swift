import Foundation
import Programme
import Testing

@testable import Ledger

extension Programme {
    /// `handWorked` (point value 2; alpha earns 10 % with a 1.5 % fee, beta 5 % with 1 %,
    /// gamma 2 % without; lots live 12 months) with `promotions`, and `redemption` rules
    /// for the partners named.
    static func handWorked(
        promotions: [Promotion] = [], redemption: [String: RedemptionRules] = [:], claimWindowDays: Int? = nil,
        pendingDays: [String: Int] = [:]
    )
        -> Programme
    {
        let base = Programme.handWorked
        var programme = Programme(
            version: base.version, currency: base.currency, currencyExponent: base.currencyExponent, pointValueMinor: base.pointValueMinor,
            expiryMonths: base.expiryMonths, maxCardsPerAccount: base.maxCardsPerAccount, operatorAccount: base.operatorAccount,
            floors: base.floors,
            partners: base.partners.map { partner in
                var partner = partner
                partner.redemption = redemption[partner.id] ?? RedemptionRules()
                partner.pendingDays = pendingDays[partner.id] ?? 0
                return partner
            })
        programme.promotions = promotions
        programme.claimWindowDays = claimWindowDays
        return programme
    }
}

extension Promotion {
    static func make(
        _ id: String, _ kind: Kind, funder: String, partners: [String] = [], products: [String] = [], from: Int64 = .min,
        until: Int64 = .max, minSpend: Int64 = 0, multiplier: Int64 = 0, bonus: Int64 = 0, every: Int64 = 0
    ) -> Promotion {
        var promotion = Promotion(id: id, kind: kind, funder: funder)
        promotion.partnerIds = partners
        promotion.products = products
        (promotion.fromMilliseconds, promotion.untilMilliseconds) = (from, until)
        promotion.minSpendMinor = minSpend
        promotion.multiplierBasisPoints = multiplier
        promotion.bonusPoints = bonus
        promotion.every = every
        return promotion
    }
}

extension Harness {
    /// Applies one transaction with `details` and returns its outcome.
    @discardableResult
    func tx(
        _ partner: String, _ txnId: String, _ member: String, at time: Int64 = Clock.t0, _ body: Transaction.Body,
        details: Transaction.Details
    ) throws -> Outcome {
        let transaction = Transaction(
            partnerId: partner, partnerTxnId: txnId, memberId: member, eventTimeMilliseconds: time, body: body, details: details)
        guard case .result(_, _, let outcome, _, _) = try #require(try run([.transaction(transaction)]).first) else {
            Issue.record("expected a result")
            return Outcome(status: .rejected)
        }
        return outcome
    }

    @discardableResult
    func tx(
        _ partner: String, _ txnId: String, at time: Int64 = Clock.t0, _ body: Transaction.Body, details: Transaction.Details
    ) throws
        -> Outcome
    {
        try tx(partner, txnId, "m1", at: time, body, details: details)
    }

    /// The member's open lots as (id, issuer, points left), in redemption order.
    func lots(_ member: String = "m1") throws -> [(Int64, String, Int64)] {
        try shard.member(member).lots.map { ($0.lotId, $0.issuer, $0.pointsLeft) }
    }
}

func product(_ name: String) -> Transaction.Details {
    var details = Transaction.Details()
    details.product = name
    return details
}

func referral(_ code: String) -> Transaction.Details {
    var details = Transaction.Details()
    details.referralCode = code
    return details
}

/// Promotions worked by hand, through a shard (SQLite): bonus lots issued by their funder,
/// the funder's `issued` and `promoted`, the debts a redemption of bonus points makes.
@Suite(.timeLimit(.minutes(10))) struct PromotionTests {
    let march = Clock.at(2026, 3, 10)
    let april = Clock.at(2026, 4, 10)

    @Test func doublePointsInMarchFundedByThePartner() throws {
        let double = Promotion.make(
            "alpha-march", .multiplier, funder: "alpha", partners: ["alpha"], from: Clock.at(2026, 3, 1, hour: 0),
            until: Clock.at(2026, 4, 1, hour: 0), multiplier: 20_000)
        let h = try Harness(programme: .handWorked(promotions: [double]))
        // 10,000 cents at alpha: 10,000 × 10 % / 2 = 500 points, doubled: a bonus of 500
        // in a lot of its own (id −(0 × 1024 + 1) = −1), issued by alpha, the funder.
        #expect(try h.tx("alpha", "a1", at: march, accrual(10_000)) == Outcome(status: .accepted, pointsDelta: 1000, balanceAfter: 1000))
        #expect(try h.lots().map(\.0) == [-1, 0] && h.lots().map(\.2) == [500, 500] && h.lots().map(\.1) == ["alpha", "alpha"])
        // In April the promotion is over: 500 points.
        #expect(try h.tx("alpha", "a2", at: april, accrual(10_000)).pointsDelta == 500)
        // At beta (not listed) in March: 10,000 × 5 % / 2 = 250, no bonus.
        #expect(try h.tx("beta", "b1", at: march, accrual(10_000)).pointsDelta == 250)
        let alpha = try #require(try h.partnerTotals("alpha"))
        #expect(alpha.issued == 1500 && alpha.promoted == 500 && alpha.feesMinor == 300)
        #expect(try h.partnerTotals("beta")?.promoted == 0)
    }

    @Test func operatorFundedWelcomeBonusIsADebtOfTheOperatorWhenSpent() throws {
        let welcome = Promotion.make("welcome", .welcome, funder: "operator", bonus: 300)
        let h = try Harness(programme: .handWorked(promotions: [welcome]))
        // beta 4,000 cents: 100 points + the welcome's 300 (lot −1, issuer operator).
        #expect(try h.tx("beta", "b1", accrual(4_000)).pointsDelta == 400)
        #expect(try h.lots().map(\.1) == ["operator", "beta"])
        // The second accrual is not the first: 100 points, no bonus.
        #expect(try h.tx("beta", "b2", accrual(4_000)).pointsDelta == 100)
        // gamma redeems 400: the operator's lot (lowest id among equal expiry and age)
        // first, 300 × 2 = 600 cents owed by the operator; then 100 of beta's, 200 cents.
        #expect(try h.tx("gamma", "g1", .redemption(points: 400)).balanceAfter == 100)
        #expect(try h.debt("operator", "gamma") == 600 && h.debt("beta", "gamma") == 200)
        let op = try #require(try h.partnerTotals("operator"))
        #expect(op.issued == 300 && op.promoted == 300 && op.redeemed == 0)
        // The barrier seals: the debts owed to gamma (800) = its 400 redeemed points × 2.
        let outputs = try h.run([.barrier(cycle: 0, closedAtMilliseconds: Clock.t0 + Clock.day)])
        guard case .position(let position) = try #require(outputs.first) else {
            Issue.record("expected a position, got \(outputs)")
            return
        }
        #expect(position.points.first { $0.partnerId == "operator" }?.promoted == 300)
    }

    @Test func stampCardEveryThirdLensIsFree() throws {
        // Every 3rd lens at beta, funded by beta, worth the purchase: amount / point value.
        let card = Promotion.make("lens", .stampCard, funder: "beta", partners: ["beta"], products: ["lens"], every: 3)
        let h = try Harness(programme: .handWorked(promotions: [card]))
        #expect(try h.tx("beta", "b1", accrual(3_000), details: product("lens")).pointsDelta == 75)  // 3,000 × 5 % / 2
        #expect(try h.tx("beta", "b2", accrual(3_000), details: product("frame")).pointsDelta == 75)  // not a lens
        #expect(try h.tx("beta", "b3", accrual(3_000), details: product("lens")).pointsDelta == 75)
        // The third lens: 75 + 3,000 / 2 = 1,500 bonus points.
        #expect(try h.tx("beta", "b4", accrual(3_000), details: product("lens")).pointsDelta == 1_575)
        // The card starts again.
        #expect(try h.tx("beta", "b5", accrual(3_000), details: product("lens")).pointsDelta == 75)
        #expect(try h.partnerTotals("beta")?.promoted == 1_500)
    }

    @Test func fixedBonusOnALaptopAboveAMinimumSpend() throws {
        let laptop = Promotion.make("laptop", .bonus, funder: "gamma", products: ["laptop"], minSpend: 50_000, bonus: 1_000)
        let h = try Harness(programme: .handWorked(promotions: [laptop]))
        // 40,000 cents is below the minimum: 2,000 points only.
        #expect(try h.tx("alpha", "a1", accrual(40_000), details: product("laptop")).pointsDelta == 2_000)
        // 60,000: 3,000 + 1,000 funded by gamma (a lot issued by gamma at alpha's purchase).
        #expect(try h.tx("alpha", "a2", accrual(60_000), details: product("laptop")).pointsDelta == 4_000)
        #expect(try h.lots().contains { $0.1 == "gamma" && $0.2 == 1_000 })
        #expect(try h.partnerTotals("gamma")?.issued == 1_000 && h.partnerTotals("alpha")?.issued == 5_000)
    }

    @Test func exclusionPeriodEarnsNothingButTheFeeStands() throws {
        let sale = Promotion.make(
            "sale", .exclusion, funder: "", partners: ["alpha"], from: Clock.at(2026, 3, 1, hour: 0), until: Clock.at(2026, 3, 15, hour: 0))
        let bonus = Promotion.make("any", .bonus, funder: "operator", bonus: 10)
        let h = try Harness(programme: .handWorked(promotions: [sale, bonus]))
        // During the sale: accepted with 0 points, no bonus either; alpha still owes 150.
        #expect(try h.tx("alpha", "a1", at: march, accrual(10_000)) == Outcome(status: .accepted, pointsDelta: 0, balanceAfter: 0))
        #expect(try h.debt("alpha", "operator") == 150)
        // beta is not in the sale: 250 + 10.
        #expect(try h.tx("beta", "b1", at: march, accrual(10_000)).pointsDelta == 260)
        // After the sale: 500 + 10.
        #expect(try h.tx("alpha", "a2", at: april, accrual(10_000)).pointsDelta == 510)
    }

    @Test func referralBonusOnTheNewMembersFirstAccrualOnly() throws {
        let refer = Promotion.make("refer", .referral, funder: "operator", bonus: 200)
        let h = try Harness(programme: .handWorked(promotions: [refer]))
        #expect(try h.tx("alpha", "a1", "m2", accrual(2_000), details: referral("m1")).pointsDelta == 300)  // 100 + 200
        #expect(try h.tx("alpha", "a2", "m2", accrual(2_000), details: referral("m1")).pointsDelta == 100)  // not the first
        #expect(try h.tx("alpha", "a3", "m3", accrual(2_000), details: referral("m3")).pointsDelta == 100)  // oneself
        #expect(try h.tx("alpha", "a4", "m4", accrual(2_000)).pointsDelta == 100)  // no code
        #expect(try h.partnerTotals("operator")?.promoted == 200)
    }

    @Test func refundClawsTheBonusInProportionFromTheOriginalsLots() throws {
        let double = Promotion.make("double", .multiplier, funder: "operator", partners: ["alpha"], multiplier: 20_000)
        let h = try Harness(programme: .handWorked(promotions: [double]))
        try h.tx("beta", "b1", accrual(4_000))  // lot 0: beta 100 points
        // Lot 1: alpha 500, lot −1025 (−(1 × 1024 + 1)): operator 500.
        #expect(try h.tx("alpha", "a1", accrual(10_000)).pointsDelta == 1_000)
        // Half refunded: floor(1,000 × 5,000 / 10,000) = 500 clawed: alpha's own lot first.
        #expect(try h.tx("alpha", "r1", .refund(originalPartnerTxnId: "a1", amountMinor: 5_000, currency: "EUR")).pointsDelta == -500)
        #expect(try h.lots().map { [$0.0, $0.2] } == [[-1025, 500], [0, 100]])
        // The rest: the other 500 from the bonus lot, before beta's (which expires first).
        #expect(try h.tx("alpha", "r2", .refund(originalPartnerTxnId: "a1", amountMinor: 5_000, currency: "EUR")).pointsDelta == -500)
        #expect(try h.lots().map { [$0.0, $0.2] } == [[0, 100]])
        #expect(try h.shard.member("m1").balance == 100)
    }

    @Test func bonusPointsWaitOutTheirPurchasesReturnWindow() throws {
        let bonus = Promotion.make("any", .bonus, funder: "operator", partners: ["beta"], bonus: 300)
        let h = try Harness(programme: .handWorked(promotions: [bonus], pendingDays: ["beta": 14]))
        // beta holds its points 14 days: 100 + 300 credited, none spendable yet.
        let credited = try h.tx("beta", "b1", accrual(4_000))
        #expect(credited.status == .accepted && credited.pointsDelta == 400)
        #expect(credited.balanceAfter == 0)
        #expect(try h.tx("gamma", "g1", at: Clock.t0 + Clock.day, .redemption(points: 1)).reason == .insufficientPoints)
        // After the window both lots are spendable; the operator's lot goes first (id −1).
        #expect(try h.tx("gamma", "g2", at: Clock.t0 + 14 * Clock.day, .redemption(points: 350)).balanceAfter == 50)
        #expect(try h.debt("operator", "gamma") == 600 && h.debt("beta", "gamma") == 100)
    }
}
