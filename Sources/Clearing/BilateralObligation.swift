/// The sum of all gross debts from `payer` to `payee` in a cycle, always > 0 after netting
/// negative entries into the opposite direction.
public struct BilateralObligation: Sendable, Hashable {
    public var payer: String
    public var payee: String
    public var amountMinor: Int64

    public init(payer: String, payee: String, amountMinor: Int64) {
        self.payer = payer
        self.payee = payee
        self.amountMinor = amountMinor
    }
}
