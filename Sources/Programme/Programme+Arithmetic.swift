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

/// Proleptic Gregorian calendar arithmetic on integers (Howard Hinnant's algorithms), so
/// that expiry never depends on Foundation's Calendar or the host's time zone.
public enum CivilTime {
    public static let millisecondsPerDay: Int64 = 86_400_000

    /// Days since 1970-01-01 of a civil date.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Civil date of a count of days since 1970-01-01.
    public static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    public static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    public static func lastDay(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `months` calendar months after `milliseconds` (UTC), same time of day, day clamped
    /// to the target month's last day. nil when the result leaves year ±1,000,000.
    public static func addingMonths(_ months: Int, toMilliseconds milliseconds: Int64) -> Int64? {
        let limitYears: Int64 = 1_000_000
        guard abs(Int64(months)) <= limitYears * 12 else { return nil }
        let (dayNumber, remainder) = floorDivide(milliseconds, millisecondsPerDay)
        let date = civil(days: dayNumber)
        let monthCount = date.year * 12 + (date.month - 1) + Int64(months)
        let (year, monthZero) = floorDivide(monthCount, 12)
        guard abs(year) <= limitYears else { return nil }
        let month = monthZero + 1
        let day = min(date.day, lastDay(year: year, month: month))
        let (product, overflow) = days(year: year, month: month, day: day)
            .multipliedReportingOverflow(by: millisecondsPerDay)
        guard !overflow else { return nil }
        let (sum, overflowSum) = product.addingReportingOverflow(remainder)
        return overflowSum ? nil : sum
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var quotient = a / b
        var remainder = a % b
        if remainder < 0 {
            quotient -= 1
            remainder += b
        }
        return (quotient, remainder)
    }
}
