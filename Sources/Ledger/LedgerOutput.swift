import Programme

/// What applying a batch produced, in entry order, for the worker to publish.
public enum LedgerOutput: Sendable, Equatable {
    /// `original` is set iff `outcome.status == .duplicate`.
    case result(offset: Int64, transaction: Transaction, outcome: Outcome, original: Outcome?)
    case position(CyclePosition)
    case inquiry(offset: Int64, memberId: String, balance: Int64)
}
