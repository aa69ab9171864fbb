import Programme

/// Refunds and cancels: reversals of an original the member had accepted.
///
/// - `clawedBack` counts for the refunding partner (the accrual's issuer), including the
///   part that became shortfall; clawing from another issuer's lot makes no debt.
/// - A refund expires what is due first, so it never claws expired points (an expired
///   original lot is breakage; the claw comes from other lots, then shortfall).
/// - A cancel restores its exact portions and reverses the debts its redemption journaled
///   (`reverseRedemptionDebts`, LedgerRules+Funding); points restored into a
///   lot due at the cancel's event time expire at once (breakage of that lot's issuer), so
///   `points_delta` is what came back spendable (0 when every lot expired meanwhile). If
///   the member has a shortfall meanwhile, the restored points still spendable then pay it
///   off (lots in redemption order), because a shortfall never coexists with positive lots.
extension LedgerRules {
    /// Refused before the original is looked up.
    func checkOriginalId(_ originalTxnId: String) throws(Rejection) {
        guard !originalTxnId.isEmpty else {
            throw Rejection(.invalidField, "original_partner_txn_id: must not be empty")
        }
    }

    /// The original `stored` under `originalTxnId` when `t` may reverse it: the same
    /// member's, accepted, of the `expected` kind.
    func checkOriginal(
        _ stored: OriginalRecord?, of t: Transaction, originalTxnId: String, expected: TransactionKind
    ) throws(Rejection)
        -> OriginalRecord
    {
        guard let original = stored, original.memberId == t.memberId else {
            throw Rejection(
                .originalNotFound,
                "original_partner_txn_id: no transaction \"\(originalTxnId)\" of partner \"\(t.partnerId)\" for member \"\(t.memberId)\"")
        }
        let mine = expected == .accrual ? "a refund" : "a cancel"
        guard original.status == Outcome.Status.accepted.rawValue else {
            throw Rejection(.wrongOriginalKind, "original_partner_txn_id: \"\(originalTxnId)\" was rejected; \(mine) needs an accepted original")
        }
        guard original.kind == expected else {
            throw Rejection(
                .wrongOriginalKind,
                "original_partner_txn_id: \"\(originalTxnId)\" is \(original.kind?.name ?? "unknown"); \(mine) needs \(expected.name)")
        }
        return original
    }

    // MARK: Refund

    /// A refund's running totals over its original accrual, and this refund's share.
    struct RefundTerms {
        var refundedTotal: Int64
        var clawedTotal: Int64
        var refundedFeeTotal: Int64
        /// Points this refund claws back, and operator fee it gives back.
        var claw: Int64
        var feeBack: Int64
    }

    /// The last checks of a refund of `amountMinor` and what it claws: the points and fee
    /// in proportion to the refunded total, less what earlier refunds took.
    func refundTerms(_ original: OriginalRecord, originalTxnId: String, amountMinor: Int64) throws(Rejection) -> RefundTerms {
        let refundedTotal = original.refundedMinor + amountMinor
        guard refundedTotal <= original.amountMinor else {
            throw Rejection(
                .refundExceedsOriginal,
                "amount_minor: refunds of \"\(originalTxnId)\" would total \(refundedTotal), above its amount \(original.amountMinor)")
        }
        guard let clawedTotal = Programme.proportion(original.points, part: refundedTotal, whole: original.amountMinor),
            let refundedFeeTotal = Programme.proportion(original.feeMinor, part: refundedTotal, whole: original.amountMinor)
        else {
            throw Rejection(.invalidAmount, "amount_minor: the clawback arithmetic overflows")
        }
        let terms = RefundTerms(
            refundedTotal: refundedTotal, clawedTotal: clawedTotal, refundedFeeTotal: refundedFeeTotal,
            claw: clawedTotal - original.clawedPoints, feeBack: refundedFeeTotal - original.refundedFeeMinor)
        precondition(terms.claw >= 0 && terms.feeBack >= 0, "refund totals went backwards for offset \(original.offset)")
        return terms
    }

    /// Whether a refund needs the member's lots: to expire what is due, or to claw.
    static func refundNeedsLots(_ terms: RefundTerms, member: MemberState, at time: Int64) -> Bool {
        terms.claw > 0 || lotsNeeded(member, at: time)
    }

    /// Claws `terms.claw` points back, from the original's lot first, then in redemption
    /// order, the rest as shortfall; the partner gets its fee share back.
    func refund(
        _ t: Transaction, amountMinor: Int64, originalTxnId: String, original: OriginalRecord, terms: RefundTerms, member: MemberState,
        lots: [OpenLot],
        into effects: inout Effects
    ) {
        var member = member
        let open = Self.expireDue(&member, lots: lots, at: t.eventTimeMilliseconds, into: &effects)
        // The original's promotion bonus lots right after its own (LedgerRules+Promotions).
        let ordered = programme.hasPromotions ? Self.bonusLotsFirst(open, originalOffset: original.offset) : open
        let fromLots = Self.take(terms.claw, from: ordered, firstLot: original.lotId, into: &effects)
        member.shortfall += terms.claw - fromLots
        member.balance -= terms.claw
        uncountForStatus(t, amountMinor: amountMinor, original: original, member: &member)
        effects.store(member)
        effects.stat(PartnerPoints(partnerId: t.partnerId, clawedBack: terms.claw, feesMinor: -terms.feeBack))
        if terms.feeBack != 0 { effects.debt(t.partnerId, programme.operatorId, -terms.feeBack) }
        refundFunding(t, original: original, terms: terms, into: &effects)  // operator-funded (LedgerRules+Funding)
        effects.originalUpdate = .refunded(
            originalTxnId: originalTxnId, refundedMinor: terms.refundedTotal, clawedPoints: terms.clawedTotal,
            refundedFeeMinor: terms.refundedFeeTotal)
        effects.record = JournalRecord(
            kind: .refund,
            outcome: Outcome(
                status: .accepted, pointsDelta: -terms.claw,
                balanceAfter: member.balance - Self.pendingAfter(member, lots: open, effects: effects, at: t.eventTimeMilliseconds)),
            amountMinor: amountMinor, points: terms.claw, feeMinor: terms.feeBack, originalOffset: original.offset)
    }

    // MARK: Cancel

    /// The last checks of a cancel, before anything changes.
    func checkCancel(_ original: OriginalRecord, originalTxnId: String) throws(Rejection) {
        if let reversedBy = original.reversedBy {
            throw Rejection(.alreadyReversed, "original_partner_txn_id: \"\(originalTxnId)\" was already cancelled at offset \(reversedBy)")
        }
        _ = try value(of: original.points)
    }

    /// Gives the original redemption's `portions` back to their lots (`lots` of the
    /// portions as stored, whatever their points left) and reverses their debts; then what
    /// is due expires and a shortfall is paid off. `lots`: the member's open lots before,
    /// `spendableBefore` what it could spend just before.
    func cancel(
        _ t: Transaction, offset: Int64, originalTxnId: String, original: OriginalRecord, portions: [(portion: Portion, lot: OpenLot)],
        member: MemberState, lots: [OpenLot], spendableBefore: Int64, into effects: inout Effects
    ) {
        var restoredLots = lots
        var restored: Int64 = 0
        for (portion, lot) in portions {
            effects.restored.append(portion)
            restored += portion.points
            if let index = restoredLots.firstIndex(where: { $0.lotId == portion.lotId }) {
                restoredLots[index].pointsLeft += portion.points
            } else {
                var reopened = lot
                reopened.pointsLeft += portion.points
                restoredLots.append(reopened)
            }
        }
        precondition(restored == original.points, "cancel of offset \(original.offset): portions hold \(restored) of \(original.points) points")
        // The debts its redemption journaled, reversed (LedgerRules+Funding).
        reverseRedemptionDebts(t, original: original, portions: portions, into: &effects)
        restoredLots.sort(by: OpenLot.precedes)
        // Restored lots may have been empty (outside the cache): the store reads them afresh.
        effects.forgetLots = true
        var member = member
        member.balance += restored
        // Points restored into a lot due at the event time are not spendable: they expire
        // now, breakage of that lot's issuer (as does anything else due), whatever the
        // floor says: a restored lot may expire before it.
        let open = Self.expireDue(&member, lots: restoredLots, at: t.eventTimeMilliseconds, force: true, into: &effects)
        // A shortfall may have arisen after the redemption; it must not coexist with
        // positive lots, so the restored points still open pay it off (redemption order).
        if member.shortfall > 0 {
            member.shortfall -= Self.take(member.shortfall, from: open, firstLot: nil, into: &effects)
        }
        effects.store(member)
        effects.stat(PartnerPoints(partnerId: t.partnerId, redeemed: -restored))
        effects.originalUpdate = .reversed(originalTxnId: originalTxnId, by: offset)
        // What the member got back to spend: less than `restored` when lots expired.
        let spendableAfter = member.balance - Self.pendingAfter(member, lots: open, effects: effects, at: t.eventTimeMilliseconds)
        effects.record = JournalRecord(
            kind: .cancel,
            outcome: Outcome(status: .accepted, pointsDelta: spendableAfter - spendableBefore, balanceAfter: spendableAfter),
            points: restored, originalOffset: original.offset)
    }
}
