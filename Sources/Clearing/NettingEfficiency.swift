/// How much netting saved: obligations and money before, instructions and money after.
public struct NettingEfficiency: Sendable, Hashable {
    /// Distinct directed (payer, payee) obligations with a non-zero sum, self-debts excluded.
    public var grossObligationCount: Int
    public var instructionCount: Int
    public var grossAmountMinor: Int64
    public var movedAmountMinor: Int64

    /// Share of gross money that does not move, in basis points (integer, rounded down).
    public var moneySavedBasisPoints: Int64 {
        guard grossAmountMinor > 0 else { return 0 }
        let saved = grossAmountMinor - movedAmountMinor
        // 128-bit multiply: saved × 10_000 can exceed Int64 for large cycles.
        let product = saved.multipliedFullWidth(by: 10_000)
        return grossAmountMinor.dividingFullWidth(product).quotient
    }

    public static func of(_ netting: NettingResult, _ instructions: [SettlementInstruction]) throws(ClearingError) -> NettingEfficiency {
        var movedMinor: Int64 = 0
        for instruction in instructions {
            guard addChecked(&movedMinor, instruction.amountMinor) else { throw Netting.overflow("money moved") }
        }
        return NettingEfficiency(
            grossObligationCount: netting.obligations.count, instructionCount: instructions.count,
            grossAmountMinor: netting.grossAmountMinor, movedAmountMinor: movedMinor)
    }
}
