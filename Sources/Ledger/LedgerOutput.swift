import Programme

/// What applying a batch produced, in entry order, for the worker to publish.
public enum LedgerOutput: Sendable, Equatable {
    /// `original` is set iff `outcome.status == .duplicate`.
    /// `facts`: the member after the entry (status, pending points).
    case result(offset: Int64, transaction: Transaction, outcome: Outcome, original: Outcome?, facts: MemberFacts = MemberFacts())
    case position(CyclePosition)
    /// `facts`: the member at the inquiry's time, expiring points included.
    case inquiry(offset: Int64, memberId: String, balance: Int64, facts: MemberFacts = MemberFacts())
}
