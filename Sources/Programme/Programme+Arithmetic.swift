/// Earning arithmetic. Every product goes through Int128 so that no intermediate can
/// overflow; a result that does not fit Int64 is reported as nil, never wrapped.
extension Programme {
    public static let basisPointsPerUnit: Int64 = 10_000
    /// Tier multiplier of a member without a tier.
    public static let baseTierPercent: Int64 = 100
    /// Expiry of points that never expire.
    public static let neverExpires: Int64 = .max

    /// `floor(amount_minor × earn_bp × tier_pct / (10_000 × 100 × point_value_minor))`;
    /// nil when an input is negative, the point value is not positive, or the result
    /// does not fit Int64.
    public static func points(
        amountMinor: Int64, earnBasisPoints: Int64, tierPercent: Int64 = baseTierPercent,
        pointValueMinor: Int64
    ) -> Int64? {
        guard amountMinor >= 0, earnBasisPoints >= 0, tierPercent >= 0, pointValueMinor > 0 else {
            return nil
        }
        let numerator = Int128(amountMinor) * Int128(earnBasisPoints) * Int128(tierPercent)
        let denominator = Int128(basisPointsPerUnit) * 100 * Int128(pointValueMinor)
        return Int64(exactly: numerator / denominator)
    }

    /// `floor(amount_minor × fee_bp / 10_000)`; nil on negative input or overflow.
    public static func fee(amountMinor: Int64, feeBasisPoints: Int64) -> Int64? {
        guard amountMinor >= 0, feeBasisPoints >= 0 else { return nil }
        return Int64(exactly: Int128(amountMinor) * Int128(feeBasisPoints) / Int128(basisPointsPerUnit))
    }

    /// `floor(total × part / whole)` without overflow: the proportional share used by
    /// refunds (clawback and fee refund). nil when `whole` is not positive or on overflow.
    public static func proportion(_ total: Int64, part: Int64, whole: Int64) -> Int64? {
        guard whole > 0, total >= 0, part >= 0 else { return nil }
        return Int64(exactly: Int128(total) * Int128(part) / Int128(whole))
    }

    /// Points a purchase at `partnerId` earns; nil for an unknown partner or overflow.
    public func points(
        amountMinor: Int64, partnerId: String, category: String, tierPercent: Int64 = baseTierPercent
    ) -> Int64? {
        guard let rate = earnBasisPoints(partnerId: partnerId, category: category) else { return nil }
        return Programme.points(
            amountMinor: amountMinor, earnBasisPoints: rate, tierPercent: tierPercent,
            pointValueMinor: pointValueMinor)
    }

    /// The operator's commission on a purchase at `partnerId`; nil for an unknown partner.
    public func fee(amountMinor: Int64, partnerId: String) -> Int64? {
        guard let rate = operatorFeeBasisPoints(partnerId: partnerId) else { return nil }
        return Programme.fee(amountMinor: amountMinor, feeBasisPoints: rate)
    }

    /// When points earned at `eventTimeMilliseconds` expire: `expiryMonths` calendar
    /// months later, same time of day (UTC), clamped to the month's last day.
    /// `Programme.neverExpires` when `expiryMonths` is 0; nil when out of range.
    public func expiry(eventTimeMilliseconds: Int64) -> Int64? {
        if expiryMonths == 0 { return Programme.neverExpires }
        return CivilTime.addingMonths(expiryMonths, toMilliseconds: eventTimeMilliseconds)
    }
}
