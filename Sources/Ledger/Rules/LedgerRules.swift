import Programme

/// The business rules (docs/design.md, "The rules, transaction by transaction"), one
/// function per transaction kind, over plain values: the transaction, the programme, the
/// member's state, its open lots in redemption order and, for a reversal, the original. Each answers with `Effects` (or a
/// `Rejection`, before deciding anything); the store reads the inputs and writes the
/// effects, and `Shard` coordinates the two.
///
/// Choices the original design note left open (docs/design.md, "Departures from the
/// original note, in one place"):
/// - An empty `partner_txn_id` is rejected (INVALID_FIELD) but not journaled: there is no
///   idempotency key to store it under. Every other rejection is journaled, so its repeat
///   is a DUPLICATE carrying the rejection.
/// - Every balance reported (`balance_after` of every result, accepted, rejected or
///   duplicate, and every balance answer) is the balance spendable at that entry's event
///   time (`spendable`): lots with expiry ≤ event time are left out, whether storage
///   expired them yet or not. For an accepted transaction `balance_after` = that
///   spendable balance just before it + `points_delta`.
/// - Expiry is lazy and the effect of time: every accepted transaction first expires the
///   member's lots due at its event time (`expireDue`: breakage of their issuers, counted
///   as `expired` in the open cycle, no debt); barriers expire every lot due at their
///   close time (`breakage`). Rejections, duplicates and inquiries change nothing, expiry
///   included. Event times only, never the wall clock: a replay gives the same ledger.
/// - Each member's expiry floor (a lower bound on its open lots' expiry) lets an
///   accrual or a balance report skip reading the lots while nothing can be due.
/// - A lot's id is the offset of the accrual that created it: replay gives the same ids.
struct LedgerRules {
    let programme: Programme

    /// The partner of `t` and a member id: every kind needs both.
    func partner(of t: Transaction) throws(Rejection) -> Programme.Partner {
        guard let partner = programme.partner(t.partnerId) else {
            throw Rejection(.unknownPartner, "partner_id: \"\(t.partnerId)\" is not a partner of programme \(programme.version)")
        }
        guard !t.memberId.isEmpty else { throw Rejection(.invalidField, "member_id: must not be empty") }
        return partner
    }

    func checkAmount(_ field: String, _ value: Int64) throws(Rejection) {
        guard FieldLimits.amountRange.contains(value) else {
            throw Rejection(.invalidAmount, "\(field): must be > 0 and <= 10^12, got \(value)")
        }
    }

    func checkCurrency(_ currency: String) throws(Rejection) {
        guard currency == programme.currency else {
            throw Rejection(.currencyMismatch, "currency: the programme settles in \(programme.currency), got \"\(currency)\"")
        }
    }

    /// The money value of `points`, refused when it overflows.
    func value(of points: Int64) throws(Rejection) -> Int64 {
        let (value, overflow) = points.multipliedReportingOverflow(by: programme.pointValueMinor)
        guard !overflow else { throw Rejection(.invalidAmount, "points: \(points) points overflow their money value") }
        return value
    }

    // MARK: Accrual

    /// Credits the points `amountMinor` earns at `partner`: first they pay off a refund
    /// shortfall, the rest forms a lot (id = `offset`) expiring after the programme's
    /// months; the partner owes the operator its fee. `lots` are needed only when
    /// `lotsNeeded(member, at: event time)`: what is due expires first.
    func accrue(
        _ t: Transaction, offset: Int64, partner: Programme.Partner, amountMinor: Int64, currency: String, category: String,
        member: MemberState, lots: [OpenLot], into effects: inout Effects
    ) throws(Rejection) {
        try checkAmount("amount_minor", amountMinor)
        try checkCurrency(currency)
        // A promotion's exclusion period (a sale): no points at all (LedgerRules+Promotions).
        let excluded = isExcluded(t, category: category, amountMinor: amountMinor)
        // programme.points/fee(partnerId:) with the partner looked up once.
        guard
            let points = Programme.points(
                amountMinor: amountMinor,
                earnBasisPoints: excluded
                    ? 0 : statusEarnBasisPoints(t, partner: partner, category: category, amountMinor: amountMinor, member: member),
                pointValueMinor: programme.pointValueMinor),
            let fee = Programme.fee(amountMinor: amountMinor, feeBasisPoints: partner.operatorFeeBasisPoints)
        else {
            throw Rejection(.invalidAmount, "amount_minor: \(amountMinor) overflows the points or fee arithmetic")
        }
        guard let expiry = programme.expiry(eventTimeMilliseconds: t.eventTimeMilliseconds) else {
            throw Rejection(.invalidField, "event_time: \(t.eventTimeMilliseconds) ms is outside the calendar range for expiry")
        }
        // Pending points: spendable from the end of the partner's return window.
        guard let availableAt = Programme.availability(pendingDays: partner.pendingDays, eventTimeMilliseconds: t.eventTimeMilliseconds)
        else {
            throw Rejection(.invalidField, "event_time: \(t.eventTimeMilliseconds) ms + pending_days overflows")
        }
        // Promotions at the event time, their bonuses per funder: checked and counted
        // before anything changes (LedgerRules+Promotions.swift).
        var promotions = member.programme.promotions
        let bonuses = try promotionBonuses(
            t, category: category, amountMinor: amountMinor, points: points, balance: member.balance, excluded: excluded,
            state: &promotions)
        // Operator-funded issuers buy the points at accrual (LedgerRules+Funding.swift).
        let funding = try accrualFunding(t, partner: partner, points: points, bonuses: bonuses)
        // Checked before anything changes, on the stored balance: never below the spendable one.
        guard !member.balance.addingReportingOverflow(points).overflow else {
            throw Rejection(.invalidAmount, "amount_minor: the member's balance would overflow")
        }
        var member = member
        _ = Self.expireDue(&member, lots: lots, at: t.eventTimeMilliseconds, into: &effects)
        // A refund shortfall is paid off before any new lot forms.
        let payoff = min(points, member.shortfall)
        member.shortfall -= payoff
        member.balance += points
        let lotPoints = points - payoff
        if lotPoints > 0 {
            effects.newLot = OpenLot(
                lotId: offset, issuer: t.partnerId, pointsLeft: lotPoints, expiresAtMilliseconds: expiry,
                createdAtMilliseconds: t.eventTimeMilliseconds,
                availableAtMilliseconds: partner.pendingDays > 0 ? availableAt : OpenLot.availableAtOnce)
            member.expiryFloorMilliseconds = min(member.expiryFloorMilliseconds, expiry)
            if partner.pendingDays > 0 { Self.notePending(&member, until: availableAt) }
        }
        // Each funder's bonus: a lot of its own after the accrual's, issued by the funder.
        member.programme.promotions = promotions
        var bonusPoints: Int64 = 0
        if !bonuses.isEmpty {
            let template = OpenLot(
                lotId: offset, issuer: t.partnerId, pointsLeft: 0, expiresAtMilliseconds: expiry, createdAtMilliseconds: t.eventTimeMilliseconds,
                availableAtMilliseconds: partner.pendingDays > 0 ? availableAt : OpenLot.availableAtOnce)
            bonusPoints = Self.creditBonuses(bonuses, offset: offset, template: template, member: &member, into: &effects)
            if partner.pendingDays > 0 && !effects.bonusLots.isEmpty { Self.notePending(&member, until: availableAt) }
        }
        countForStatus(t, amountMinor: amountMinor, member: &member)
        effects.store(member)
        effects.stat(PartnerPoints(partnerId: t.partnerId, issued: points, feesMinor: fee))
        if fee != 0 { effects.debt(t.partnerId, programme.operatorId, fee) }
        addFunding(funding, into: &effects)
        effects.record = JournalRecord(
            kind: .accrual,
            outcome: Outcome(
                status: .accepted, pointsDelta: points + bonusPoints,
                balanceAfter: member.balance - Self.pendingAfter(member, lots: lots, effects: effects, at: t.eventTimeMilliseconds)),
            amountMinor: amountMinor, points: points + bonusPoints, feeMinor: fee, lotId: lotPoints > 0 ? offset : nil)
    }

    // MARK: Redemption

    /// Every check of a redemption, on the balance spendable at its event time: a
    /// rejected redemption changes nothing, not even the expiry of what is due.
    func checkRedemption(points: Int64, spendable: Int64) throws(Rejection) {
        try checkAmount("points", points)
        _ = try value(of: points)  // the portions' values cannot overflow either
        guard spendable >= points else {
            throw Rejection(.insufficientPoints, "points: \(points) requested, the balance is \(spendable)")
        }
    }

    /// Takes `points` (checked by `checkRedemption`) from the member's open `lots` in
    /// redemption order (earliest expiry first, after what is due expired): one portion
    /// per lot, and each portion's issuer owes the redeeming partner its value.
    func redeem(_ t: Transaction, points: Int64, member: MemberState, lots: [OpenLot], into effects: inout Effects) {
        var member = member
        let open = Self.expireDue(&member, lots: lots, at: t.eventTimeMilliseconds, into: &effects)
        var remaining = points
        // The earliest expiry of the lots left open (pending lots skipped, then the first
        // not emptied): the floor, exactly.
        var floor = MemberState.noOpenLots
        for lot in open {
            // Pending points are not spendable: their lots are skipped.
            if lot.isPending(at: t.eventTimeMilliseconds) {
                floor = min(floor, lot.expiresAtMilliseconds)
                continue
            }
            guard remaining > 0 else {
                floor = min(floor, lot.expiresAtMilliseconds)
                break
            }
            let portion = min(remaining, lot.pointsLeft)
            effects.updateLot(lot.lotId, issuer: lot.issuer, from: lot.pointsLeft, to: lot.pointsLeft - portion)
            effects.portions.append(Portion(lotId: lot.lotId, issuer: lot.issuer, points: portion))
            remaining -= portion
            if portion < lot.pointsLeft {
                floor = min(floor, lot.expiresAtMilliseconds)
                break
            }
        }
        precondition(remaining == 0, "member \(t.memberId): lots hold \(points - remaining) of a balance covering \(points)")
        // Each portion's issuer (or the operator, for operator-funded points) owes the
        // partner its value; the partner owes its fee per redemption (LedgerRules+Funding).
        addRedemptionDebts(t, portions: effects.portions, into: &effects)
        member.expiryFloorMilliseconds = floor
        member.balance -= points
        effects.store(member)
        effects.stat(PartnerPoints(partnerId: t.partnerId, redeemed: points))
        effects.record = JournalRecord(
            kind: .redemption,
            outcome: Outcome(
                status: .accepted, pointsDelta: -points,
                balanceAfter: member.balance - Self.pendingAfter(member, lots: open, effects: effects, at: t.eventTimeMilliseconds)),
            points: points)
    }
}
