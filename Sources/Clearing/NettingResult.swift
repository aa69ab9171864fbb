import Programme

/// What netting a cycle's gross debts produced. Every array is sorted (by participant id,
/// then counterparty id, comparing UTF-8 bytes), so the value does not depend on input order.
public struct NettingResult: Sendable, Equatable {
    /// One position per participant (debtors, creditors, the operator, and every id passed
    /// in `participants`), including zero positions. Sums to exactly 0.
    public var positions: [NetPosition]
    /// Bilateral obligations: directed sums per (payer, payee), always > 0, excluding
    /// self-debts and pairs that summed to 0.
    public var obligations: [DebtTotal]
    /// Self-debts (issuer = redeemer), summed per participant; recorded, never settled.
    public var selfDebts: [NetPosition]
    /// Number of gross debt entries given (including self-debts and zero amounts).
    public var entryCount: Int
    /// Sum of `obligations` amounts: the money that would move without netting.
    public var grossAmountMinor: Int64

    public func position(of participant: String) -> Int64? {
        positions.first { $0.participant == participant }?.amountMinor
    }
}
