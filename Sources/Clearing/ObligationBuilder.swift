import Programme

/// Collects bilateral obligations in (payer rank, payee rank) order and keeps the running
/// positions and gross total, all with overflow checks.
struct ObligationBuilder {
    /// Participant ids by rank (byte order).
    let ids: [String]
    private(set) var positionsMinor: [Int64]
    private(set) var grossMinor: Int64 = 0
    private(set) var obligations: [DebtTotal] = []

    init(ids: [String]) {
        self.ids = ids
        positionsMinor = Array(repeating: 0, count: ids.count)
    }

    mutating func add(payer: Int, payee: Int, amountMinor: Int64) throws(ClearingError) {
        guard addChecked(&positionsMinor[payee], amountMinor), addChecked(&positionsMinor[payer], -amountMinor),
            addChecked(&grossMinor, amountMinor)
        else { throw Netting.overflow("net position of \(ids[payer]) or \(ids[payee]), or the gross total") }
        obligations.append(DebtTotal(payer: ids[payer], payee: ids[payee], amountMinor: amountMinor))
    }
}
