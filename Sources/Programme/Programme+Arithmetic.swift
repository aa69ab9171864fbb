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

    /// When points earned at `eventTimeMilliseconds` expire, by the expiry policy:
    /// - plain (`expiry_months`) and `months_after_earning`: N calendar months later, same
    ///   time of day (UTC), clamped to the month's last day (0 months: never);
    /// - `end_of_month`: 00:00 UTC of the first day of the (N+1)th month after the month of
    ///   earning (the end of the Nth month after it);
    /// - `end_of_year`: 00:00 UTC of 1 January of the (N+1)th year after the year of earning;
    /// - `never` and `inactivity` (the member's deadline expires all its lots instead):
    ///   `Programme.neverExpires`.
    /// nil when out of the calendar's range.
    public func expiry(eventTimeMilliseconds: Int64) -> Int64? {
        switch expiryPolicy.kind {
        case nil:
            if expiryMonths == 0 { return Programme.neverExpires }
            return CivilTime.addingMonths(expiryMonths, toMilliseconds: eventTimeMilliseconds)
        case .monthsAfterEarning(let months):
            return CivilTime.addingMonths(months, toMilliseconds: eventTimeMilliseconds)
        case .endOfMonth(let months):
            return Self.startOfMonth(monthsAfter: months + 1, milliseconds: eventTimeMilliseconds)
        case .endOfYear(let years):
            let (day, _) = CivilTime.floorDivide(eventTimeMilliseconds, CivilTime.millisecondsPerDay)
            let date = CivilTime.civil(days: day)
            // From 1 January of the year of earning.
            return Self.startOfMonth(monthsAfter: (years + 1) * 12 - Int(date.month - 1), milliseconds: eventTimeMilliseconds)
        case .never, .inactivity:
            return Programme.neverExpires
        }
    }

    /// 00:00 UTC of the first day of the month `months` after the month of `milliseconds`.
    static func startOfMonth(monthsAfter months: Int, milliseconds: Int64) -> Int64? {
        let (day, _) = CivilTime.floorDivide(milliseconds, CivilTime.millisecondsPerDay)
        let date = CivilTime.civil(days: day)
        let firstOfMonth = CivilTime.days(year: date.year, month: date.month, day: 1)
        let (start, overflow) = firstOfMonth.multipliedReportingOverflow(by: CivilTime.millisecondsPerDay)
        guard !overflow else { return nil }
        return CivilTime.addingMonths(months, toMilliseconds: start)
    }

    /// The inactivity deadline of a member whose last accepted transaction was at
    /// `lastActivityMilliseconds`: N months later (policy `inactivity` only, else nil).
    public func inactivityDeadline(lastActivityMilliseconds: Int64) -> Int64? {
        guard let months = expiryPolicy.inactivityMonths else { return nil }
        return CivilTime.addingMonths(months, toMilliseconds: lastActivityMilliseconds)
    }
}
