import Programme

/// Promotions on accruals (docs/programme.md, "Promotions").
///
/// - An exclusion matching the accrual (a sale) earns it no points at all, and no
///   promotion applies to it; the partner's fee is still charged (the fee is on the
///   purchase, not on the points).
/// - Every other promotion matching the accrual at its event time adds bonus points,
///   computed on the points the accrual earns at its partner (status included):
///   a multiplier its share above ×1, a bonus or welcome or referral its points, a stamp
///   card its points at every N-th matching purchase. The bonuses are summed per funder
///   (in promotion order) and each funder's sum forms a lot of its own whose issuer is the
///   funder, with the accrual's expiry and availability: spending it makes the funder owe
///   the redeeming partner, as any issuer. Its id is `bonusLotId(offset:index:)`, negative
///   and derived from the accrual's offset, so a replay gives the same ids.
/// - The funder's statistics count the bonus as `issued` and `promoted`; the journal row
///   of the accrual holds its points with the bonuses, so a refund claws back the bonus in
///   proportion (a full refund all of it), from the accrual's own lot, then its bonus
///   lots, then the member's other lots.
/// - Stamp-card counters and whether the member has accrued (welcome, referral) live in
///   `PromotionState`; they count in log order, and are not undone by refunds.
extension LedgerRules {
    /// Bonus lots one accrual may make (one per funder): ids leave room for this many.
    static let bonusLotsPerAccrual: Int64 = 1_024

    /// The id of an accrual's `index`-th bonus lot: negative, distinct from every accrual
    /// offset and every other accrual's bonus lots.
    static func bonusLotId(offset: Int64, index: Int) -> Int64 {
        precondition(offset >= 0 && offset < Int64.max / bonusLotsPerAccrual - 1, "offset \(offset) too large for a bonus lot id")
        precondition(index >= 0 && Int64(index) < bonusLotsPerAccrual - 1, "bonus lot index \(index) out of range")
        return -(offset * bonusLotsPerAccrual + Int64(index) + 1)
    }

    /// The offset of the accrual that created lot `lotId` (its own or a bonus lot).
    static func accrualOffset(ofLot lotId: Int64) -> Int64 {
        lotId >= 0 ? lotId : (-lotId - 1) / bonusLotsPerAccrual
    }

    /// The order lots are created in: by accrual offset, the accrual's own lot before its
    /// bonus lots (the batch keeps its new lots in this order).
    static func creationKey(lotId: Int64) -> (Int64, Int64) {
        lotId >= 0 ? (lotId, 0) : ((-lotId - 1) / bonusLotsPerAccrual, (-lotId - 1) % bonusLotsPerAccrual + 1)
    }

    /// One funder's bonus points of an accrual.
    struct Bonus: Equatable {
        var funder: String
        var points: Int64
    }

    /// Whether an exclusion promotion takes every point of this accrual away.
    func isExcluded(_ t: Transaction, category: String, amountMinor: Int64) -> Bool {
        guard programme.hasPromotions else { return false }
        return programme.promotions.contains {
            $0.kind == .exclusion
                && $0.applies(
                    partnerId: t.partnerId, category: category, product: t.details.product, amountMinor: amountMinor,
                    at: t.eventTimeMilliseconds)
        }
    }

    /// The bonuses the accrual earns (per funder, in promotion order) on top of its
    /// `points`, with the member's promotion counters moved on in `state`. Refused when
    /// they would overflow the member's balance (`balance` before the accrual).
    func promotionBonuses(
        _ t: Transaction, category: String, amountMinor: Int64, points: Int64, balance: Int64, excluded: Bool,
        state: inout PromotionState
    ) throws(Rejection) -> [Bonus] {
        guard programme.hasPromotions else { return [] }
        let firstAccrual = programme.hasFirstAccrualPromotions && !state.accrued && balance == 0
        if programme.hasFirstAccrualPromotions { state.accrued = true }
        guard !excluded else { return [] }
        var bonuses: [Bonus] = []
        var total = points
        for promotion in programme.promotions
        where promotion.applies(
            partnerId: t.partnerId, category: category, product: t.details.product, amountMinor: amountMinor, at: t.eventTimeMilliseconds)
        {
            let bonus: Int64
            switch promotion.kind {
            case .exclusion: continue
            case .multiplier:
                let extra = Int128(points) * Int128(promotion.multiplierBasisPoints - Programme.basisPointsPerUnit)
                guard let value = Int64(exactly: extra / Int128(Programme.basisPointsPerUnit)) else { throw Self.bonusOverflow }
                bonus = value
            case .bonus: bonus = promotion.bonusPoints
            case .stampCard:
                let stamps = state.stamps[promotion.id, default: 0] + 1
                guard stamps >= promotion.every else {
                    state.stamps[promotion.id] = stamps
                    continue
                }
                state.stamps[promotion.id] = nil
                bonus = promotion.bonusPoints != 0 ? promotion.bonusPoints : amountMinor / programme.pointValueMinor
            case .welcome:
                guard firstAccrual else { continue }
                bonus = promotion.bonusPoints
            case .referral:
                guard firstAccrual, !t.details.referralCode.isEmpty, t.details.referralCode != t.memberId else { continue }
                bonus = promotion.bonusPoints
            }
            guard bonus > 0 else { continue }
            let (sum, overflow) = total.addingReportingOverflow(bonus)
            guard !overflow else { throw Self.bonusOverflow }
            total = sum
            if let index = bonuses.firstIndex(where: { $0.funder == promotion.funder }) {
                bonuses[index].points += bonus
            } else {
                bonuses.append(Bonus(funder: promotion.funder, points: bonus))
            }
        }
        state.prune(keeping: programme.promotions)
        guard !balance.addingReportingOverflow(total).overflow else {
            throw Rejection(.invalidAmount, "amount_minor: the member's balance would overflow")
        }
        return bonuses
    }

    private static var bonusOverflow: Rejection {
        Rejection(.invalidAmount, "amount_minor: the promotions' bonus points overflow")
    }

    /// Credits `bonuses` after the accrual's own points: each pays off what shortfall is
    /// left, the rest forms the funder's bonus lot (`template`: the accrual's lot as it
    /// would be). Returns the bonus points in all.
    static func creditBonuses(
        _ bonuses: [Bonus], offset: Int64, template: OpenLot, member: inout MemberState, into effects: inout Effects
    ) -> Int64 {
        var total: Int64 = 0
        for (index, bonus) in bonuses.enumerated() {
            let payoff = min(bonus.points, member.shortfall)
            member.shortfall -= payoff
            member.balance += bonus.points
            total += bonus.points
            if bonus.points > payoff {
                var lot = template
                lot.lotId = bonusLotId(offset: offset, index: index)
                lot.issuer = bonus.funder
                lot.pointsLeft = bonus.points - payoff
                effects.bonusLots.append(lot)
                member.expiryFloorMilliseconds = min(member.expiryFloorMilliseconds, lot.expiresAtMilliseconds)
            }
            effects.stat(PartnerPoints(partnerId: bonus.funder, issued: bonus.points, promoted: bonus.points))
        }
        return total
    }

    /// The member's open lots with the bonus lots of the accrual at `originalOffset` first
    /// (a refund claws its original's lot, then these, then the rest in redemption order).
    static func bonusLotsFirst(_ lots: ArraySlice<OpenLot>, originalOffset: Int64) -> ArraySlice<OpenLot> {
        guard lots.contains(where: { $0.lotId < 0 && accrualOffset(ofLot: $0.lotId) == originalOffset }) else { return lots }
        let own = lots.filter { $0.lotId < 0 && accrualOffset(ofLot: $0.lotId) == originalOffset }
        let others = lots.filter { !($0.lotId < 0 && accrualOffset(ofLot: $0.lotId) == originalOffset) }
        return (own + others)[...]
    }
}
