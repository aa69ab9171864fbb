import Programme

/// Funding models, fees per redemption and suspended partners (docs/finance.md, "Funding
/// models"; docs/programme.md, "Funding models and fees").
///
/// - Accrual at an operator-funded partner: besides its fee, the partner owes the operator
///   the value of the points it issues (points × the programme's point value, shortfall
///   payoff included), counted as its `fundedMinor`. A promotion's bonus funded by an
///   operator-funded partner is bought the same way; the operator as funder owes nobody.
/// - Redemption: each portion's value is owed to the redeeming partner by its issuer, or by
///   the operator when the issuer is the operator or an operator-funded partner (read from
///   the programme pricing the redemption). The redeeming partner owes the operator its
///   fee per redemption (`redemptionFeesMinor`).
/// - Every transaction's debts are journaled (journal.debts). A cancel reverses exactly the
///   debts its redemption journaled, whatever the programme says by then; a redemption
///   journaled before those were recorded is reversed by today's rules, as before.
/// - A refund gives the funding back in proportion to the points it claws, for each payer
///   of its original's funding (as journaled): the value of the clawed points, whether
///   they come from lots or become shortfall. The operator, which sold the points, carries
///   a shortfall's value until the member's next points pay it off (docs/design.md,
///   departures).
/// - Suspended partners (deposit exhausted, refuse mode): from the barrier that lists a
///   partner until the next sealing barrier, its accruals are refused DEPOSIT_EXHAUSTED.
extension LedgerRules {
    /// One payer's funding of an accrual: what it owes the operator for points it issued.
    struct Funding: Equatable {
        var payer: String
        var amountMinor: Int64
    }

    /// The funding an accrual makes (the partner's own points, then each bonus funder's),
    /// checked for overflow before anything changes. Empty when nobody is operator-funded.
    func accrualFunding(_ t: Transaction, partner: Programme.Partner, points: Int64, bonuses: [Bonus]) throws(Rejection) -> [Funding] {
        var lines: [Funding] = []
        if partner.fundingModel == .operatorFunded && points > 0 {
            lines.append(Funding(payer: partner.id, amountMinor: try fundingValue(points)))
        }
        for bonus in bonuses where bonus.funder != programme.operatorId && bonus.points > 0 {
            guard programme.partner(bonus.funder)?.fundingModel == .operatorFunded else { continue }
            lines.append(Funding(payer: bonus.funder, amountMinor: try fundingValue(bonus.points)))
        }
        return lines
    }

    private func fundingValue(_ points: Int64) throws(Rejection) -> Int64 {
        let (value, overflow) = points.multipliedReportingOverflow(by: programme.pointValueMinor)
        guard !overflow else {
            throw Rejection(.invalidAmount, "amount_minor: the value of \(points) points bought from the operator overflows")
        }
        return value
    }

    /// Debts payer → operator and the payers' `fundedMinor`.
    func addFunding(_ lines: [Funding], into effects: inout Effects) {
        for line in lines where line.amountMinor != 0 {
            effects.debt(line.payer, programme.operatorId, line.amountMinor)
            effects.stat(PartnerPoints(partnerId: line.payer, fundedMinor: line.amountMinor))
        }
    }

    /// Who owes the redeeming partner for points `issuer` issued.
    func redemptionPayer(issuer: String) -> String {
        programme.operatorPays(forIssuer: issuer) ? programme.operatorId : issuer
    }

    /// A redemption's debts: each portion's value to the redeeming partner, from its
    /// issuer or the operator; then the partner's fee per redemption.
    func addRedemptionDebts(_ t: Transaction, portions: [Portion], into effects: inout Effects) {
        for portion in portions {
            effects.debt(redemptionPayer(issuer: portion.issuer), t.partnerId, portion.points * programme.pointValueMinor)
        }
        guard let fee = programme.partner(t.partnerId)?.fees.perRedemptionMinor, fee != 0 else { return }
        effects.debt(t.partnerId, programme.operatorId, fee)
        effects.stat(PartnerPoints(partnerId: t.partnerId, redemptionFeesMinor: fee))
    }

    /// A cancel's debts: the journaled debts of its redemption, each reversed (its fee per
    /// redemption back too). A redemption journaled without its debts (before migration 12)
    /// is reversed by the rules of today: its portions' values from their issuers, and the
    /// point value difference.
    func reverseRedemptionDebts(
        _ t: Transaction, original: OriginalRecord, portions: [(portion: Portion, lot: OpenLot)], into effects: inout Effects
    ) {
        guard let recorded = original.debts else {
            for (portion, _) in portions {
                effects.debt(portion.issuer, t.partnerId, -(portion.points * programme.pointValueMinor))
            }
            if let partner = programme.partner(t.partnerId) {
                addPointValueDifference(t, partner: partner, points: -original.points, into: &effects)
            }
            return
        }
        var feeBack: Int64 = 0
        for debt in recorded {
            effects.debt(debt.payer, debt.payee, -debt.amountMinor)
            if debt.payer == t.partnerId && debt.payee == programme.operatorId && debt.payer != debt.payee { feeBack += debt.amountMinor }
        }
        if feeBack != 0 { effects.stat(PartnerPoints(partnerId: t.partnerId, redemptionFeesMinor: -feeBack)) }
    }

    /// A refund's funding given back: for each payer of its original accrual's funding (the
    /// journaled debts to the operator, less the partner's fee), the share of the clawed
    /// points (`terms`) minus what earlier refunds gave back. The whole funding once every
    /// point is clawed back.
    func refundFunding(_ t: Transaction, original: OriginalRecord, terms: RefundTerms, into effects: inout Effects) {
        guard let recorded = original.debts, original.points > 0, terms.claw > 0 else { return }
        var funded: [(payer: String, amountMinor: Int64)] = []
        for debt in recorded where debt.payee == programme.operatorId && debt.payer != programme.operatorId {
            if let index = funded.firstIndex(where: { $0.payer == debt.payer }) {
                funded[index].amountMinor += debt.amountMinor
            } else {
                funded.append((debt.payer, debt.amountMinor))
            }
        }
        for (payer, total) in funded {
            let amount = payer == t.partnerId ? total - original.feeMinor : total
            guard amount > 0,
                let now = Programme.proportion(amount, part: terms.clawedTotal, whole: original.points),
                let before = Programme.proportion(amount, part: original.clawedPoints, whole: original.points),
                now > before
            else { continue }
            effects.debt(payer, programme.operatorId, -(now - before))
            effects.stat(PartnerPoints(partnerId: payer, fundedMinor: -(now - before)))
        }
    }

    /// Refused while the accrual's partner is suspended (its deposit exhausted in refuse
    /// mode) by the last sealing barrier.
    func checkAccrualSuspension(_ t: Transaction, inputs: some RuleInputs) throws -> Void {
        guard let cycle = try inputs.accrualSuspension(partnerId: t.partnerId) else { return }
        throw Rejection(
            .depositExhausted,
            "partner_id: \(t.partnerId)'s deposit is exhausted (barrier of cycle \(cycle)); accruals are refused until it is topped up")
    }
}

extension RuleInputs {
    /// No partner is suspended unless the inputs say so (the in-memory ledgers of tests).
    func accrualSuspension(partnerId: String) throws(LedgerError) -> Int64? { nil }
}
