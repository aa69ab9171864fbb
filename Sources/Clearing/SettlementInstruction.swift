/// One payment to make: `payer` transfers `amountMinor` (> 0) to `payee`.
/// `sequence` starts at 1 and is the position in the cycle's instruction list.
public struct SettlementInstruction: Sendable, Hashable {
    public var sequence: Int
    public var payer: String
    public var payee: String
    public var amountMinor: Int64

    public init(sequence: Int, payer: String, payee: String, amountMinor: Int64) {
        self.sequence = sequence
        self.payer = payer
        self.payee = payee
        self.amountMinor = amountMinor
    }
}
