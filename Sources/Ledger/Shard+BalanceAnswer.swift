import Programme

extension Shard {
    /// The member's balance answer at `time` without going through the log (for
    /// `ledger inspect --member`): what it can spend then (due and pending points left out,
    /// as every reported balance), and its facts as a balance answer carries them (pending
    /// points, points expiring within 30 days; empty for a programme without them).
    /// Changes nothing.
    public func balanceAnswer(_ memberId: String, at time: Int64) throws(LedgerError) -> (balance: Int64, facts: MemberFacts) {
        let member = try store.memberState(memberId)
        let lots = try store.openLots(memberId)
        let facts = rules.reportsFacts ? rules.facts(member, lots: lots, at: time, inquiry: true) : MemberFacts()
        return (LedgerRules.spendable(member, lots: lots, at: time), facts)
    }
}
