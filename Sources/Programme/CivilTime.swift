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

    /// `2026-11-23T00:55:50.123Z` (settlement files), or `2026-11-23T00:55:50Z` without
    /// `milliseconds` (the CLI's tables): never the host's time zone or locale.
    public static func iso8601(milliseconds: Int64, fractional: Bool = true) -> String {
        let (days, msOfDay) = floorDivide(milliseconds, millisecondsPerDay)
        let time = "\(pad(msOfDay / 3_600_000, 2)):\(pad(msOfDay / 60_000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2))"
        return date(days: days) + "T" + time + (fractional ? ".\(pad(msOfDay % 1000, 3))Z" : "Z")
    }

    /// `2026-11-23`: the UTC day of epoch milliseconds.
    public static func date(milliseconds: Int64) -> String {
        date(days: floorDivide(milliseconds, millisecondsPerDay).0)
    }

    private static func date(days: Int64) -> String {
        let (year, month, day) = civil(days: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Quotient rounded towards minus infinity and a remainder in 0..<b (times before 1970).
    public static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var quotient = a / b
        var remainder = a % b
        if remainder < 0 {
            quotient -= 1
            remainder += b
        }
        return (quotient, remainder)
    }
}
