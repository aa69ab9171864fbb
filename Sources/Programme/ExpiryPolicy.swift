/// How points expire (docs/programme.md, "Expiry"). Without an `expiry` section the
/// programme's `expiry_months` rules: points expire that many months after earning
/// (0 = never), exactly as before the section existed.
public struct ExpiryPolicy: Sendable, Hashable {
    /// The policies a programme file may name (`expiry.policy`).
    public enum Kind: Sendable, Hashable {
        /// `months_after_earning`: N calendar months after the accrual's event time, same
        /// time of day (UTC), the day clamped to the month's last day.
        case monthsAfterEarning(months: Int)
        /// `end_of_month`: at the end of the Nth month after the month of earning (0 = the
        /// end of that month), i.e. at 00:00 UTC of the first day of the month after.
        case endOfMonth(months: Int)
        /// `end_of_year`: at the end of the Nth year after the year of earning (0 = the end
        /// of that year), i.e. at 00:00 UTC of 1 January of the year after.
        case endOfYear(years: Int)
        /// `never`: points never expire (e.g. they convert to miles).
        case never
        /// `inactivity`: all of the member's points expire N months after its last accepted
        /// transaction; each accepted transaction moves the deadline.
        case inactivity(months: Int)
    }

    /// nil: the plain case, `expiry_months` after earning.
    public var kind: Kind?

    public init(_ kind: Kind? = nil) { self.kind = kind }

    /// The policy names of `expiry.policy`.
    public static let policyNames = ["months_after_earning", "end_of_month", "end_of_year", "never", "inactivity"]
    /// N of `months_after_earning` and `inactivity` (1…600 months), `end_of_month`
    /// (0…600) and `end_of_year` (0…50 years).
    public static let monthsRange: ClosedRange<Int> = 1...600
    public static let endOfMonthRange: ClosedRange<Int> = 0...600
    public static let endOfYearRange: ClosedRange<Int> = 0...50

    /// The inactivity period in months, when that is the policy.
    public var inactivityMonths: Int? {
        if case .inactivity(let months) = kind { return months }
        return nil
    }

    /// "1st", "2nd", "3rd", "4th", "11th", "21st" …
    static func ordinal(_ n: Int) -> String {
        let suffix =
            (11...13).contains(n % 100) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th"
        return "\(n)\(suffix)"
    }

    /// For people: "24 months after earning", "never", …
    public func describe(expiryMonths: Int) -> String {
        switch kind {
        case nil: return expiryMonths == 0 ? "never" : "\(expiryMonths) months after earning"
        case .monthsAfterEarning(let months): return "\(months) months after earning"
        case .endOfMonth(let months):
            return months == 0 ? "at the end of the month of earning" : "at the end of the \(Self.ordinal(months)) month after the month of earning"
        case .endOfYear(let years):
            return years == 0 ? "at the end of the year of earning" : "at the end of the \(Self.ordinal(years)) year after the year of earning"
        case .never: return "never"
        case .inactivity(let months): return "\(months) months after the member's last transaction"
        }
    }
}

extension ProgrammeFile {
    /// The file's `expiry` section: `{"policy": "end_of_year", "years": 2}`.
    struct ExpiryFile: Decodable {
        var policy: String?
        var months: Int?
        var years: Int?
    }
}

extension Programme {
    /// The policy the `expiry` section names; nil (the plain `expiry_months`) without one.
    /// Reports an unknown policy, a missing N and a key the policy does not use.
    static func decodeExpiry(
        _ file: ProgrammeFile.ExpiryFile?, expiryMonths: Int, problems: inout [(field: String, reason: String)]
    ) -> ExpiryPolicy {
        guard let file else { return ExpiryPolicy() }
        guard let policy = file.policy else {
            problems.append(("expiry.policy", "is missing; one of \(ExpiryPolicy.policyNames.joined(separator: ", "))"))
            return ExpiryPolicy()
        }
        func unused(_ key: String, _ value: Int?) {
            if value != nil { problems.append(("expiry.\(key)", "is not used by policy \"\(policy)\"")) }
        }
        func need(_ key: String, _ value: Int?) -> Int {
            if let value { return value }
            problems.append(("expiry.\(key)", "is missing; policy \"\(policy)\" needs it"))
            return 0
        }
        switch policy {
        case "months_after_earning":
            unused("years", file.years)
            return ExpiryPolicy(.monthsAfterEarning(months: need("months", file.months)))
        case "end_of_month":
            unused("years", file.years)
            return ExpiryPolicy(.endOfMonth(months: need("months", file.months)))
        case "end_of_year":
            unused("months", file.months)
            return ExpiryPolicy(.endOfYear(years: need("years", file.years)))
        case "never":
            unused("months", file.months)
            unused("years", file.years)
            return ExpiryPolicy(.never)
        case "inactivity":
            unused("years", file.years)
            return ExpiryPolicy(.inactivity(months: need("months", file.months)))
        default:
            problems.append(
                ("expiry.policy", "unknown policy \"\(policy)\"; one of \(ExpiryPolicy.policyNames.joined(separator: ", "))"))
            return ExpiryPolicy()
        }
    }

    /// The ranges of the policy's N.
    func checkExpiry(_ report: (String, String) -> Void) {
        switch expiryPolicy.kind {
        case nil, .never: break
        case .monthsAfterEarning(let months):
            if !ExpiryPolicy.monthsRange.contains(months) { report("expiry.months", "must be in 1...600, got \(months)") }
        case .inactivity(let months):
            if !ExpiryPolicy.monthsRange.contains(months) { report("expiry.months", "must be in 1...600, got \(months)") }
        case .endOfMonth(let months):
            if !ExpiryPolicy.endOfMonthRange.contains(months) {
                report("expiry.months", "must be in 0...600 (0 = the end of the month of earning), got \(months)")
            }
        case .endOfYear(let years):
            if !ExpiryPolicy.endOfYearRange.contains(years) {
                report("expiry.years", "must be in 0...50 (0 = the end of the year of earning), got \(years)")
            }
        }
    }
}
