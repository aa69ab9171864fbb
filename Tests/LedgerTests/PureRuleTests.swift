import Foundation
import Programme
import Testing

@testable import Ledger

/// The hand-worked examples called on the rules directly: plain values in (the member,
/// its lots, the original), effects out. No file, no cache, no shard.
/// Programme.handWorked: point value 2, alpha 1000 bp / fee 150 bp, beta 500 bp / fee 100 bp.
@Suite struct PureRuleTests {
    let rules = LedgerRules(programme: .handWorked)
    let day = Clock.day
    let t0 = Clock.t0
    let jan27 = Clock.at(2027, 1, 15)
    let jun27 = Clock.at(2027, 6, 1)

    func t(_ partner: String, _ txn: String = "t", at time: Int64, _ body: Transaction.Body) -> Transaction {
        Transaction(partnerId: partner, partnerTxnId: txn, memberId: "m1", eventTimeMilliseconds: time, body: body)
    }

    func lot(_ id: Int64, _ issuer: String, _ points: Int64, expires: Int64, created: Int64? = nil) -> OpenLot {
        OpenLot(lotId: id, issuer: issuer, pointsLeft: points, expiresAtMilliseconds: expires, createdAtMilliseconds: created ?? id)
    }

    func member(_ balance: Int64, shortfall: Int64 = 0, floor: Int64 = MemberState.noOpenLots) -> MemberState {
        MemberState(balance: balance, shortfall: shortfall, expiryFloorMilliseconds: floor)
    }

    func accrue(
        _ amount: Int64, partner: String = "alpha", offset: Int64 = 7, at time: Int64, member: MemberState, lots: [OpenLot] = []
    )
        throws(Rejection) -> Effects
    {
        var effects = Effects()
        let transaction = t(partner, at: time, accrual(amount))
        try rules.accrue(
            transaction, offset: offset, partner: rules.partner(of: transaction), amountMinor: amount, currency: "EUR",
            category: "any", member: member, lots: lots, into: &effects)
        return effects
    }

    @Test func accrualWithFeeFormsALotNamedByItsOffset() throws {
        // 10_001 × 1000 / 10_000 / 2 = 500.05 → 500 points; fee 10_001 × 150 / 10_000 → 150.
        let effects = try accrue(10_001, offset: 7, at: t0, member: .new)
        #expect(effects.newLot == lot(7, "alpha", 500, expires: jan27, created: t0))
        #expect(effects.member == member(500, floor: jan27) && effects.memberChanged)
        #expect(effects.debts == [DebtTotal(payer: "alpha", payee: "operator", amountMinor: 150)])
        #expect(effects.stats == [PartnerPoints(partnerId: "alpha", issued: 500, feesMinor: 150)])
        #expect(effects.lotUpdates.isEmpty && effects.portions.isEmpty && effects.originalUpdate == nil)
        #expect(effects.record.outcome == Outcome(status: .accepted, pointsDelta: 500, balanceAfter: 500))
        #expect(effects.record.lotId == 7 && effects.record.feeMinor == 150 && effects.record.amountMinor == 10_001)
    }

    @Test func accrualPaysAShortfallOffBeforeAnyLotForms() throws {
        let partly = try accrue(10_000, at: t0, member: member(-120, shortfall: 120))
        #expect(partly.newLot?.pointsLeft == 380)
        #expect(partly.member == member(380, floor: jan27))
        #expect(partly.record.outcome.pointsDelta == 500 && partly.record.lotId == 7)
        let wholly = try accrue(10_000, at: t0, member: member(-900, shortfall: 900))
        #expect(wholly.newLot == nil && wholly.record.lotId == nil)
        #expect(wholly.member == member(-400, shortfall: 400))
    }

    @Test func accrualExpiresWhatIsDueFirst() throws {
        let due = lot(1, "beta", 50, expires: jan27)
        let effects = try accrue(2000, at: jan27, member: member(50, floor: jan27), lots: [due])
        #expect(effects.lotUpdates.map(\.lotId) == [1] && effects.lotUpdates.map(\.pointsLeft) == [0])
        #expect(effects.stats.first == PartnerPoints(partnerId: "beta", expired: 50))
        #expect(effects.member.balance == 100)  // 50 − 50 expired + 100
        #expect(effects.record.outcome.balanceAfter == 100)
    }

    @Test func accrualRefusalsComeBeforeAnyEffect() {
        #expect(throws: Rejection.self) { try accrue(0, at: t0, member: .new) }
        let overflow = #expect(throws: Rejection.self) { try accrue(10_000, at: t0, member: member(.max - 10)) }
        #expect(overflow?.detail == "amount_minor: the member's balance would overflow")
        let unknown = #expect(throws: Rejection.self) { try accrue(10_000, partner: "zeta", at: t0, member: .new) }
        #expect(unknown?.reason == .unknownPartner)
    }

    @Test func redemptionTakesAcrossLotsInRedemptionOrderWithADebtPerPortion() throws {
        let lots = [lot(0, "alpha", 500, expires: jan27), lot(1, "beta", 300, expires: jan27 + day)]
        let spendable = LedgerRules.spendable(member(800, floor: jan27), lots: lots, at: t0 + 2 * day)
        #expect(spendable == 800)
        try rules.checkRedemption(points: 600, spendable: spendable)
        var effects = Effects()
        rules.redeem(
            t("gamma", at: t0 + 2 * day, .redemption(points: 600)), points: 600, member: member(800, floor: jan27), lots: lots, into: &effects)
        #expect(effects.lotUpdates.map(\.pointsLeft) == [0, 200])
        #expect(effects.portions == [Portion(lotId: 0, issuer: "alpha", points: 500), Portion(lotId: 1, issuer: "beta", points: 100)])
        #expect(
            effects.debts == [
                DebtTotal(payer: "alpha", payee: "gamma", amountMinor: 1000), DebtTotal(payer: "beta", payee: "gamma", amountMinor: 200),
            ])
        #expect(effects.member == member(200, floor: jan27 + day))  // the floor is exact again
        #expect(effects.stats == [PartnerPoints(partnerId: "gamma", redeemed: 600)])
        #expect(effects.record.outcome == Outcome(status: .accepted, pointsDelta: -600, balanceAfter: 200))
    }

    @Test func redemptionIsCheckedOnTheSpendableBalance() {
        let lots = [lot(0, "alpha", 500, expires: jan27), lot(1, "beta", 50, expires: jun27)]
        // Expiry ≤ event time: alpha's lot is not spendable, 50 are.
        let spendable = LedgerRules.spendable(member(550, floor: jan27), lots: lots, at: jan27)
        #expect(spendable == 50)
        let refusal = #expect(throws: Rejection.self) { try rules.checkRedemption(points: 100, spendable: spendable) }
        #expect(refusal?.reason == .insufficientPoints)
        #expect(refusal?.detail == "points: 100 requested, the balance is 50")
        // While the floor is above the time no lot is looked at.
        #expect(LedgerRules.spendable(member(550, floor: jun27), lots: [], at: jan27) == 550)
    }

    func accrualOriginal(points: Int64 = 500, lotId: Int64? = 0) -> OriginalRecord {
        OriginalRecord(
            offset: 0, memberId: "m1", kind: .accrual, status: "accepted", amountMinor: 10_000, points: points, feeMinor: 150,
            lotId: lotId, refundedMinor: 0, clawedPoints: 0, refundedFeeMinor: 0, reversedBy: nil)
    }

    @Test func refundClawsTheOriginalLotFirstThenOthersThenShortfall() throws {
        let original = accrualOriginal()
        let terms = try rules.refundTerms(original, originalTxnId: "a1", amountMinor: 10_000)
        #expect(terms.claw == 500 && terms.feeBack == 150)
        // The original lot (0) has 100 left, beta's lot 150 more: 250 from lots, 250 shortfall.
        let lots = [lot(1, "beta", 150, expires: jan27 - day), lot(0, "alpha", 100, expires: jan27)]
        var effects = Effects()
        rules.refund(
            t("alpha", at: t0 + day, .refund(originalPartnerTxnId: "a1", amountMinor: 10_000, currency: "EUR")), amountMinor: 10_000,
            originalTxnId: "a1", original: original, terms: terms, member: member(250, floor: jan27 - day), lots: lots, into: &effects)
        #expect(effects.lotUpdates.map(\.lotId) == [0, 1] && effects.lotUpdates.map(\.pointsLeft) == [0, 0])
        #expect(effects.member == member(-250, shortfall: 250, floor: jan27 - day))
        #expect(effects.debts == [DebtTotal(payer: "alpha", payee: "operator", amountMinor: -150)])
        #expect(effects.stats == [PartnerPoints(partnerId: "alpha", clawedBack: 500, feesMinor: -150)])
        #expect(effects.originalUpdate == .refunded(originalTxnId: "a1", refundedMinor: 10_000, clawedPoints: 500, refundedFeeMinor: 150))
        #expect(effects.record.outcome == Outcome(status: .accepted, pointsDelta: -500, balanceAfter: -250))
    }

    @Test func partialRefundsClawByTheFloorOfTheirTotal() throws {
        var original = accrualOriginal(points: 3)
        original.amountMinor = 100
        // 3 × 33 / 100 = 0.99 → 0, then 3 × 66 / 100 = 1.98 → 1 (1 more).
        let first = try rules.refundTerms(original, originalTxnId: "a1", amountMinor: 33)
        #expect(first.claw == 0 && first.clawedTotal == 0)
        (original.refundedMinor, original.clawedPoints) = (33, 0)
        #expect(try rules.refundTerms(original, originalTxnId: "a1", amountMinor: 33).claw == 1)
        let over = #expect(throws: Rejection.self) { try rules.refundTerms(original, originalTxnId: "a1", amountMinor: 68) }
        #expect(over?.reason == .refundExceedsOriginal)
    }

    @Test func reversalsFindTheirOriginal() throws {
        let refund = t("alpha", at: t0, .refund(originalPartnerTxnId: "a1", amountMinor: 1, currency: "EUR"))
        #expect(throws: Rejection.self) { try rules.checkOriginalId("") }
        let missing = #expect(throws: Rejection.self) { try rules.checkOriginal(nil, of: refund, originalTxnId: "a1", expected: .accrual) }
        #expect(missing?.reason == .originalNotFound)
        var other = accrualOriginal()
        other.memberId = "m2"
        #expect(throws: Rejection.self) { try rules.checkOriginal(other, of: refund, originalTxnId: "a1", expected: .accrual) }
        let kind = #expect(throws: Rejection.self) {
            try rules.checkOriginal(accrualOriginal(), of: refund, originalTxnId: "a1", expected: .redemption)
        }
        #expect(kind?.detail == "original_partner_txn_id: \"a1\" is an accrual; a cancel needs a redemption")
        #expect(try rules.checkOriginal(accrualOriginal(), of: refund, originalTxnId: "a1", expected: .accrual).offset == 0)
    }

    @Test func cancelDuringAShortfallRestoresExpiredPointsAsBreakageAndPaysTheShortfall() throws {
        // The redemption (offset 2) took 100 from alpha's lot (expired by now) and 100 from
        // beta's; since then a refund left both empty and a shortfall of 50.
        let redemption = OriginalRecord(
            offset: 2, memberId: "m1", kind: .redemption, status: "accepted", amountMinor: 0, points: 200, feeMinor: 0, lotId: nil,
            refundedMinor: 0, clawedPoints: 0, refundedFeeMinor: 0, reversedBy: nil)
        try rules.checkCancel(redemption, originalTxnId: "r1")
        let portions = [
            (portion: Portion(lotId: 0, issuer: "alpha", points: 100), lot: lot(0, "alpha", 0, expires: jan27, created: t0)),
            (portion: Portion(lotId: 1, issuer: "beta", points: 100), lot: lot(1, "beta", 0, expires: jun27, created: t0)),
        ]
        let before = member(-50, shortfall: 50)
        let at = Clock.at(2027, 2, 1)
        var effects = Effects()
        rules.cancel(
            t("gamma", at: at, .cancel(originalPartnerTxnId: "r1")), offset: 9, originalTxnId: "r1", original: redemption,
            portions: portions, member: before, lots: [], spendableBefore: -50, into: &effects)
        #expect(effects.restored == portions.map(\.portion))
        #expect(effects.forgetLots)
        // Alpha's restored 100 expire at once; beta's pay the shortfall off and 50 stay.
        #expect(effects.lotUpdates.map(\.lotId) == [0, 1] && effects.lotUpdates.map(\.pointsLeft) == [0, 50])
        #expect(effects.member == member(50, floor: jun27))
        #expect(
            effects.debts == [
                DebtTotal(payer: "alpha", payee: "gamma", amountMinor: -200), DebtTotal(payer: "beta", payee: "gamma", amountMinor: -200),
            ])
        #expect(effects.stats == [PartnerPoints(partnerId: "alpha", expired: 100), PartnerPoints(partnerId: "gamma", redeemed: -200)])
        #expect(effects.originalUpdate == .reversed(originalTxnId: "r1", by: 9))
        #expect(effects.record.outcome == Outcome(status: .accepted, pointsDelta: 100, balanceAfter: 50))
        var cancelled = redemption
        cancelled.reversedBy = 9
        let again = #expect(throws: Rejection.self) { try rules.checkCancel(cancelled, originalTxnId: "r1") }
        #expect(again?.reason == .alreadyReversed)
    }

    @Test func takeStartsWithTheNamedLotThenFollowsRedemptionOrder() {
        let lots = [lot(1, "beta", 30, expires: jan27), lot(2, "gamma", 30, expires: jun27), lot(0, "alpha", 30, expires: jun27 + day)]
        var effects = Effects()
        #expect(LedgerRules.take(70, from: lots[...], firstLot: 0, into: &effects) == 70)
        #expect(effects.lotUpdates.map(\.lotId) == [0, 1, 2] && effects.lotUpdates.map(\.pointsLeft) == [0, 0, 20])
        effects.reset()
        #expect(LedgerRules.take(500, from: lots[...], firstLot: 42, into: &effects) == 90)
        #expect(LedgerRules.take(0, from: lots[...], firstLot: nil, into: &effects) == 0)
    }

    @Test func barrierBreakageClosesTheLotAndLeavesTheFloor() {
        var effects = Effects()
        LedgerRules.breakage(
            of: LedgerRules.DueLot(lotId: 4, memberId: "m1", issuer: "beta", points: 70), member: member(100, floor: jan27), into: &effects)
        #expect(effects.lotUpdates.map(\.lotId) == [4] && effects.lotUpdates.map(\.pointsLeft) == [0])
        #expect(effects.member == member(30, floor: jan27))
        #expect(effects.stats == [PartnerPoints(partnerId: "beta", expired: 70)] && effects.debts.isEmpty)
    }

    @Test func aBarrierSealsTheOpenCycleOnlyOnce() {
        #expect(LedgerRules.seals(3, lastSealedCycle: 2))
        #expect(!LedgerRules.seals(2, lastSealedCycle: 2) && !LedgerRules.seals(1, lastSealedCycle: 2))
        let counts = EntryCounts(accepted: 4, rejected: 1, duplicates: 0, deadLetters: 2)
        let seal = LedgerRules.seal(cycle: 3, closedAtMilliseconds: t0, barrierOffset: 41, openFirstOffset: 30, counts: counts)
        #expect(seal == LedgerRules.CycleSeal(cycle: 3, offsets: 30...41, closedAtMilliseconds: t0, counts: counts))
        #expect(seal.nextFirstOffset == 42)
    }

    @Test func invariantsNameTheMemberAndTheNumbers() {
        let lots = Invariants.Lots(openPoints: 400, openCount: 1, lowest: 0, earliestExpiry: jan27)
        #expect(Invariants.violation(memberId: "m1", member(400, floor: jan27), lots) == nil)
        #expect(Invariants.violation(memberId: "m1", member(401, floor: jan27), lots) == "member m1: lots 400 − shortfall 0 ≠ balance 401")
        #expect(
            Invariants.violation(
                memberId: "m1", member(-10, shortfall: 10), Invariants.Lots(openPoints: 0, openCount: 0, lowest: -1, earliestExpiry: .max)) != nil)
        #expect(Invariants.violation(memberId: "m1", member(390, shortfall: 10, floor: jan27), lots)?.contains("shortfall 10 next to 1") == true)
        #expect(Invariants.violation(memberId: "m1", member(400, floor: jun27), lots)?.contains("expiry floor") == true)
        let programme = Programme.handWorked
        #expect(Invariants.debtViolation(cycle: 1, owedTo: ["gamma": 200, "operator": 150], redeemed: ["gamma": 100], programme: programme) == nil)
        #expect(Invariants.debtViolation(cycle: 1, owedTo: ["gamma": 198], redeemed: ["gamma": 100], programme: programme) != nil)
    }
}
