/// One gross obligation from the ledgers: `payer` owes `payee` `amountMinor`.
///
/// A negative amount (a cancel reversing a redemption settled in an earlier cycle) is a
/// debt from payee to payer. `payer == payee` is recorded and reported but never settled.
public struct GrossDebt: Sendable, Hashable {
    public var payer: String
    public var payee: String
    public var amountMinor: Int64

    public init(payer: String, payee: String, amountMinor: Int64) {
        self.payer = payer
        self.payee = payee
        self.amountMinor = amountMinor
    }
}
