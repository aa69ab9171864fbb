import Programme

/// Statuses (tiers, docs/programme.md "Statuses"): the member's status is the highest
/// level its counters (`StatusState`) qualify for at an event time; it earns by it at
/// the partners the statuses count.
///
/// - Counting: an accepted accrual at a counted partner adds its amount, visits and nights
///   to the bucket of its event time (UTC day, month or year). That is the member's
///   activity for `downgrade_after_inactive_days`.
/// - Status at a time t: the base status when the member has been inactive for the
///   configured days before t (its counting then starts again at its next accrual); else
///   by the buckets of the rolling window ending on t's UTC day, or by the previous
///   calendar period (and, with `upgrade_in_period`, the current one so far).
/// - Earning: with `activation` immediate the accrual counts first and earns at the
///   status it reaches; with `next_visit` it earns at the status before it.
/// - A refund takes its amount off the spend of the original's bucket (if still kept):
///   the status may fall from then on; points already earned stay.
/// - A retro-claim (an event time before the member's latest) counts in its own bucket
///   if that is still kept, and earns by the buckets kept then (later ones not counted);
///   one from before a lapse (`countingSinceMilliseconds`) does not count, nor its refund.
extension LedgerRules {
    /// The member's status level at `time` (0: the base status).
    func statusLevel(_ state: StatusState, at time: Int64) -> Int {
        let rules = programme.statuses
        guard rules.isEnabled else { return 0 }
        if statusLapsed(state, at: time) || !countsIn(state) { return 0 }
        let key = rules.bucketKey(milliseconds: time)
        func sums(_ range: ClosedRange<Int64>) -> (spend: Int64, visits: Int64, nights: Int64) {
            var total: (spend: Int64, visits: Int64, nights: Int64) = (0, 0, 0)
            for bucket in state.buckets where range.contains(bucket.key) {
                total.spend = Self.statusSum(total.spend, bucket.spendMinor)
                total.visits = Self.statusSum(total.visits, bucket.visits)
                total.nights = Self.statusSum(total.nights, bucket.nights)
            }
            return total
        }
        func level(_ range: ClosedRange<Int64>) -> Int {
            let total = sums(range)
            return rules.level(spendMinor: total.spend, visits: total.visits, nights: total.nights)
        }
        switch rules.period {
        case .rollingDays:
            return level(rules.oldestCountedKey(latestKey: key)...key)
        case .calendarMonth, .calendarYear:
            let previous = level((key - 1)...(key - 1))
            return rules.upgradeInPeriod ? max(previous, level(key...key)) : previous
        }
    }

    /// The member's status name at `time` ("" without statuses).
    func statusName(_ member: MemberState, at time: Int64) -> String {
        let rules = programme.statuses
        guard rules.isEnabled else { return "" }
        return rules.levels[statusLevel(member.programme.status, at: time)].name
    }

    /// Whether the member had no counted accrual for `downgrade_after_inactive_days` up
    /// to `time` (never before its first).
    func statusLapsed(_ state: StatusState, at time: Int64) -> Bool {
        guard let days = programme.statuses.downgradeAfterInactiveDays, let last = state.lastActivityMilliseconds else { return false }
        return time - last >= Int64(days) * CivilTime.millisecondsPerDay
    }

    /// The rate accrual `t` of `amountMinor` at `partner` earns for `category`: the
    /// partner's own rate without statuses or at a partner they do not count, else the
    /// rate of the member's status (after counting `t` when activation is immediate).
    func statusEarnBasisPoints(
        _ t: Transaction, partner: Programme.Partner, category: String, amountMinor: Int64, member: MemberState
    ) -> Int64 {
        let rules = programme.statuses
        guard rules.counts(partnerId: partner.id) else { return partner.earnBasisPoints(category: category) }
        var state = member.programme.status
        if rules.activation == .immediate { countStatus(t, amountMinor: amountMinor, into: &state) }
        let level = statusLevel(state, at: t.eventTimeMilliseconds)
        return rules.earnBasisPoints(level: level, partner: partner, category: category, floors: programme.floors)
    }

    /// Counts accepted accrual `t` for the member's status (no-op at a partner the
    /// statuses do not count).
    func countForStatus(_ t: Transaction, amountMinor: Int64, member: inout MemberState) {
        guard programme.statuses.counts(partnerId: t.partnerId) else { return }
        countStatus(t, amountMinor: amountMinor, into: &member.programme.status)
    }

    /// A refund of `amountMinor` of `original` (an accrual at `t.partnerId`) takes it off
    /// the spend of the original's bucket, while that bucket is kept.
    func uncountForStatus(_ t: Transaction, amountMinor: Int64, original: OriginalRecord, member: inout MemberState) {
        let rules = programme.statuses
        guard rules.counts(partnerId: t.partnerId), countsIn(member.programme.status), let time = original.eventTimeMilliseconds,
            time >= member.programme.status.countingSinceMilliseconds ?? .min
        else { return }
        let key = rules.bucketKey(milliseconds: time)
        guard let index = member.programme.status.buckets.firstIndex(where: { $0.key == key }) else { return }
        let bucket = member.programme.status.buckets[index]
        member.programme.status.buckets[index].spendMinor = bucket.spendMinor - min(bucket.spendMinor, amountMinor)
    }

    private func countStatus(_ t: Transaction, amountMinor: Int64, into state: inout StatusState) {
        let rules = programme.statuses
        let time = t.eventTimeMilliseconds
        if statusLapsed(state, at: time) {
            state.buckets = []
            state.countingSinceMilliseconds = time
        }
        if !countsIn(state) {  // the period changed: counting starts again in the new unit
            state.buckets = []
            state.unit = rules.bucketUnit == "day" ? nil : rules.bucketUnit
        }
        // A retro-claim from before a lapse counts no more than the rest of that time.
        guard time >= state.countingSinceMilliseconds ?? .min else { return }
        let key = rules.bucketKey(milliseconds: time)
        if let index = state.buckets.firstIndex(where: { $0.key == key }) {
            state.buckets[index].spendMinor = Self.statusSum(state.buckets[index].spendMinor, amountMinor)
            state.buckets[index].visits = Self.statusSum(state.buckets[index].visits, t.details.visits)
            state.buckets[index].nights = Self.statusSum(state.buckets[index].nights, t.details.nights)
        } else {
            let bucket = StatusState.Bucket(key: key, spendMinor: amountMinor, visits: t.details.visits, nights: t.details.nights)
            state.buckets.insert(bucket, at: state.buckets.firstIndex { $0.key > key } ?? state.buckets.endIndex)
        }
        state.lastActivityMilliseconds = max(state.lastActivityMilliseconds ?? time, time)
        // Bounded: what no later time can count goes.
        if let latest = state.buckets.last?.key {
            let oldest = rules.oldestCountedKey(latestKey: latest)
            state.buckets.removeAll { $0.key < oldest }
        }
    }

    /// Whether the state's buckets are kept in the programme's unit (a programme whose
    /// period changed from days to months, say, starts counting again).
    private func countsIn(_ state: StatusState) -> Bool {
        (state.unit ?? "day") == programme.statuses.bucketUnit
    }

    private static func statusSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }
}
