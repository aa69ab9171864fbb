import Programme

/// One debt one journaled transaction made: a line of `settlement trace`.
public struct TracedDebt: Sendable, Equatable, Hashable {
    /// The transaction's offset in the partition.
    public var offset: Int64
    public var partnerId: String
    public var partnerTxnId: String
    public var memberId: String
    public var kind: Transaction.Kind
    public var payer: String
    public var payee: String
    /// Negative for a reversal (a cancel, a refund's fee or funding given back).
    public var amountMinor: Int64

    public init(
        offset: Int64, partnerId: String, partnerTxnId: String, memberId: String, kind: Transaction.Kind, payer: String, payee: String,
        amountMinor: Int64
    ) {
        (self.offset, self.partnerId, self.partnerTxnId, self.memberId) = (offset, partnerId, partnerTxnId, memberId)
        (self.kind, self.payer, self.payee, self.amountMinor) = (kind, payer, payee, amountMinor)
    }
}

extension Shard {
    /// The debts of every transaction of sealed `cycle`, by offset (each transaction's in
    /// the order it made them): summed by (payer, payee) they are the cycle's sealed
    /// `CyclePosition.debts` (breakage makes no debt). Reads the journal rows of the
    /// cycle's offsets (`first_offset...barrier_offset` of its stored position).
    ///
    /// nil: this shard never sealed `cycle`. Out of scope: a cycle whose journal rows were
    /// archived (past the idempotency horizon and reversal window) throws, and rows journaled
    /// before migration 12 (issue 14) carry no debts, so an older cycle traces short.
    /// Changes nothing; call between batches.
    public func tracedDebts(cycle: Int64) throws(LedgerError) -> [TracedDebt]? {
        try store.tracedDebts(cycle: cycle)
    }
}
