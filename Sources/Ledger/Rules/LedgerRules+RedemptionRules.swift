import Programme

/// A partner's redemption rules (docs/programme.md, "Redemption rules"), checked before
/// the member's balance: a redemption the partner's rules refuse changes nothing.
///
/// - A reward (`details.rewardId`) costs exactly its price: `points` 0 means the price,
///   any other count than the price is UNKNOWN_REWARD, and so is an id the partner does
///   not list.
/// - Fewer points than `min_points` is BELOW_MINIMUM_REDEMPTION.
/// - With `max_bill_share_bp` the redemption must carry its bill (INVALID_FIELD without
///   one), and the points' settlement value at the partner must be at most that share of
///   it (OVER_BILL_SHARE).
/// - A partner's own `point_value_minor`: each portion's issuer still owes the programme's
///   value; the operator owes the partner the difference (points × (partner's value −
///   programme's)), a debt operator → partner that is negative when the partner's value
///   is lower. A cancel reverses it with the points it restores.
extension LedgerRules {
    /// The points a redemption at `partner` takes (a reward's price, or `requested`), once
    /// every rule of the partner's allows it.
    func redemptionPoints(_ t: Transaction, partner: Programme.Partner, requested: Int64) throws(Rejection) -> Int64 {
        let rules = partner.redemption
        var points = requested
        if !t.details.rewardId.isEmpty {
            guard let reward = rules.reward(t.details.rewardId) else {
                throw Rejection(.unknownReward, "reward_id: \"\(t.details.rewardId)\" is not a reward of partner \"\(partner.id)\"")
            }
            guard requested == 0 || requested == reward.points else {
                throw Rejection(
                    .unknownReward,
                    "points: reward \"\(reward.id)\" costs \(reward.points) points, got \(requested) (send 0 or the price)")
            }
            points = reward.points
        }
        try checkAmount("points", points)
        if points < rules.minPoints {
            throw Rejection(
                .belowMinimumRedemption, "points: \(points) is below partner \"\(partner.id)\"'s minimum of \(rules.minPoints) per redemption")
        }
        let pointValue = programme.settlementPointValueMinor(partner: partner)
        let (value, overflow) = points.multipliedReportingOverflow(by: pointValue)
        guard !overflow else { throw Rejection(.invalidAmount, "points: \(points) points overflow their money value") }
        if let share = rules.maxBillShareBasisPoints {
            let bill = t.details.billAmountMinor
            guard bill > 0 else {
                throw Rejection(
                    .invalidField,
                    "bill_amount_minor: partner \"\(partner.id)\" lets points pay at most \(share) bp of a bill, so a redemption must carry its bill"
                )
            }
            let allowed = Int64(Int128(bill) * Int128(share) / Int128(Programme.basisPointsPerUnit))
            guard value <= allowed else {
                throw Rejection(
                    .overBillShare,
                    "points: \(points) points are worth \(value), above \(share) bp of the bill \(bill) (at most \(allowed))")
            }
        }
        return points
    }

    /// The operator's share of a redemption (or, with negative `points`, of its cancel) at
    /// a partner whose point value differs from the programme's: a debt operator →
    /// partner of points × the difference (negative when the partner's value is lower).
    /// Its points' value was checked not to overflow at either value.
    func addPointValueDifference(_ t: Transaction, partner: Programme.Partner, points: Int64, into effects: inout Effects) {
        let difference = programme.settlementPointValueMinor(partner: partner) - programme.pointValueMinor
        guard difference != 0, points != 0 else { return }
        effects.debt(programme.operatorId, t.partnerId, points * difference)
    }
}
