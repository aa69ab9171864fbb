import Programme

extension Shard {
    /// The facts a result or balance answer for `memberId` at `time` carries
    /// (`LedgerRules.facts`); empty, and nothing read, for a programme without them.
    func facts(_ memberId: String, at time: Int64, inquiry: Bool = false) throws(LedgerError) -> MemberFacts {
        guard rules.reportsFacts else { return MemberFacts() }
        let member = try store.memberState(memberId)
        return rules.facts(member, lots: try store.openLots(memberId), at: time, inquiry: inquiry)
    }
}
