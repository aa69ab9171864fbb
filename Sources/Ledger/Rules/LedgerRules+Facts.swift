import Programme

/// What a result or balance answer says of the member besides the balance (`MemberFacts`):
/// the status (statuses rule) and the pending and expiring points (pending points and
/// expiry rules). Read only when the programme has one of those rules.
extension LedgerRules {
    /// Whether results carry facts: false for a programme without statuses or pending
    /// points, so a plain programme reads nothing more per result.
    var reportsFacts: Bool { false }

    /// The member's facts at `time`; `lots` are its open lots in redemption order;
    /// `inquiry`: a balance answer, which also counts the points expiring soon.
    func facts(_ member: MemberState, lots: [OpenLot], at time: Int64, inquiry: Bool) -> MemberFacts {
        MemberFacts()
    }
}
