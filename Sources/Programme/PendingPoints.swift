/// Pending points: a partner's return window before its accruals can be spent
/// (docs/programme.md, "Pending points"). A partner's `pending_days` (0…365, 0 = none):
/// the points of its accruals are pending until the accrual's event time + that many
/// days, then spendable. Pending points count in the member's lots (and expire by the
/// programme's policy, which counts from earning), but not in what it can spend.
extension Programme {
    /// `pending_days`: up to a year.
    public static let pendingDaysRange: ClosedRange<Int> = 0...365

    /// Whether any partner holds its accruals pending.
    public var hasPendingPoints: Bool { partners.contains { $0.pendingDays > 0 } }

    /// When points `partner` credits at `eventTimeMilliseconds` become spendable; the event
    /// time itself without a window; nil on overflow.
    public static func availability(pendingDays: Int, eventTimeMilliseconds: Int64) -> Int64? {
        guard pendingDays > 0 else { return eventTimeMilliseconds }
        let (sum, overflow) = eventTimeMilliseconds.addingReportingOverflow(Int64(pendingDays) * CivilTime.millisecondsPerDay)
        return overflow ? nil : sum
    }

    func checkPending(_ partner: Partner, base: String, _ report: (String, String) -> Void) {
        if !Self.pendingDaysRange.contains(partner.pendingDays) {
            report("\(base).pending_days", "must be in 0...365 days (0 = spendable at once), got \(partner.pendingDays)")
        }
    }
}
