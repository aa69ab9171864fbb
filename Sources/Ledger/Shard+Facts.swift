import Programme

extension Shard {
    /// The facts a result or balance answer for `memberId` at `time` carries
    /// (`LedgerRules.facts`); empty, and nothing read, for a programme without them.
    func facts(_ memberId: String, at time: Int64, inquiry: Bool = false) throws(LedgerError) -> MemberFacts {
        guard rules.reportsFacts else { return MemberFacts() }
        let member = try store.memberState(memberId)
        // The status needs no lots: only pending and expiring points read them.
        let lots = rules.reportsPointFacts ? try store.openLots(memberId) : []
        return rules.facts(member, lots: lots, at: time, inquiry: inquiry)
    }

    /// The shard's members by status, and the points pending, at `time` (default: the
    /// log time, the close time of the last sealed cycle): what `loyalty dev` and
    /// `ledger inspect` summarise. O(members); changes nothing.
    public func memberSummary(at time: Int64? = nil) throws(LedgerError) -> MemberSummary {
        var summary = MemberSummary()
        guard rules.reportsFacts else { return summary }
        let logTime = try store.logTimeMilliseconds()
        guard let time = time ?? logTime else { return summary }
        for (memberId, member) in try store.storedMembers() {
            let lots = rules.reportsPointFacts ? try store.tableOpenLots(memberId) : []
            let facts = rules.facts(member, lots: lots, at: time, inquiry: false)
            summary.members += 1
            if !facts.status.isEmpty { summary.byStatus[facts.status, default: 0] += 1 }
            summary.pendingPoints += facts.pendingPoints
        }
        return summary
    }
}

/// Members by status and the points pending, over one shard or several (`+`).
public struct MemberSummary: Sendable, Equatable {
    public var members: Int64 = 0
    public var byStatus: [String: Int64] = [:]
    public var pendingPoints: Int64 = 0

    public init() {}

    public static func + (a: MemberSummary, b: MemberSummary) -> MemberSummary {
        var sum = a
        sum.members += b.members
        sum.byStatus.merge(b.byStatus, uniquingKeysWith: +)
        sum.pendingPoints += b.pendingPoints
        return sum
    }
}
