import Programme

/// What a result or balance answer says of the member besides the balance (`MemberFacts`):
/// the status (statuses rule) and the pending and expiring points (pending points and
/// expiry rules). Read only when the programme has one of those rules.
extension LedgerRules {
    /// Whether results carry facts: false for a programme without statuses or pending
    /// points, so a plain programme reads nothing more per result.
    var reportsFacts: Bool { programme.statuses.isEnabled || reportsPointFacts }

    /// Pending and expiring points: with a partner's return window, or an `expiry`
    /// section naming a policy under which points expire (a plain `expiry_months`
    /// programme reports nothing, so it reads nothing more per result).
    var reportsPointFacts: Bool {
        if programme.hasPendingPoints { return true }
        switch programme.expiryPolicy.kind {
        case nil, .never: return false
        default: return true
        }
    }

    /// Balance answers count the points expiring within this many days of the inquiry.
    static let expiringWindowDays: Int64 = 30

    /// The member's facts at `time`; `lots` are its open lots in redemption order;
    /// `inquiry`: a balance answer, which also counts the points expiring soon.
    func facts(_ member: MemberState, lots: [OpenLot], at time: Int64, inquiry: Bool) -> MemberFacts {
        var facts = MemberFacts()
        facts.status = statusName(member, at: time)  // statuses: "" without them
        if reportsPointFacts { pointFacts(member, lots: lots, at: time, inquiry: inquiry, into: &facts) }
        return facts
    }
}

extension LedgerRules {
    /// The pending points at `time`, and for a balance answer the points expiring within
    /// 30 days: those of lots not due at `time` whose expiry is at or before
    /// `time` + 30 days (all open lots when the inactivity deadline falls in that window);
    /// pending points that will expire count among them.
    func pointFacts(_ member: MemberState, lots: [OpenLot], at time: Int64, inquiry: Bool, into facts: inout MemberFacts) {
        facts.pendingPoints = Self.pendingPoints(member, lots: lots, at: time)
        guard inquiry else { return }
        let (before, overflow) = time.addingReportingOverflow(Self.expiringWindowDays * CivilTime.millisecondsPerDay)
        let horizon = overflow ? Int64.max : before
        facts.expiringBeforeMilliseconds = horizon
        if Self.isInactive(member, at: time) { return }  // everything is due already
        let deadline = member.programme.activity.deadlineMilliseconds ?? .max
        var expiring: Int64 = 0
        for lot in lots where lot.expiresAtMilliseconds > time && (lot.expiresAtMilliseconds <= horizon || deadline <= horizon) {
            expiring += lot.pointsLeft
        }
        facts.expiringPoints = expiring
    }
}
