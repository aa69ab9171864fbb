import Programme
import SQLite

extension Shard {
    /// The member's balance answer at `time` without going through the log (for
    /// `ledger inspect --member`, outside any batch): what it can spend then (due and
    /// pending points left out, as every reported balance), and its facts as a balance
    /// answer carries them (pending points, points expiring within 30 days; empty for a
    /// programme without them). Reads the file only; changes nothing.
    public func balanceAnswer(_ memberId: String, at time: Int64) throws(LedgerError) -> (balance: Int64, facts: MemberFacts) {
        let s = try store.db.prepare("SELECT balance, shortfall, expiry_floor, programme_state FROM members WHERE member_id = ?")
        defer { s.reset() }
        s.bindText(1, memberId)
        var member = MemberState.new
        if try s.step() {
            member = MemberState(balance: s.int64(0), shortfall: s.int64(1), expiryFloorMilliseconds: s.int64(2))
            member.programme = try MemberProgramme.stored(s.optionalText(3), memberId: memberId)
        }
        let lots = try store.tableOpenLots(memberId)
        let facts = rules.reportsFacts ? rules.facts(member, lots: lots, at: time, inquiry: true) : MemberFacts()
        return (LedgerRules.spendable(member, lots: lots, at: time), facts)
    }
}
