import Programme

/// A settled cycle: the validated input, its netting, and the instructions realising it.
/// Pure: no files, no clock. `SettlementWriter` turns it into files.
public struct CycleSettlement: Sendable {
    public let input: CycleSettlementInput
    public let mode: InstructionMode
    public let netting: NettingResult
    public let instructions: [SettlementInstruction]
    public let efficiency: NettingEfficiency
    /// Each partner's economics (in id order; empty without `input.terms`): its clearing
    /// debts (cycle fee, deposit drawn) are netted with the ledger's.
    public var economics: [PartnerEconomics] = []

    /// Validates `input`, nets its debts and plans instructions. Every participant named in
    /// a debt must have an account (`.unknownParticipant` otherwise).
    public static func settle(
        _ input: CycleSettlementInput, mode: InstructionMode = .greedy
    ) throws(ClearingError) -> CycleSettlement {
        try input.validate()
        let accountIds = Set(input.accounts.map(\.id))
        if case .centralCounterparty(let counterparty) = mode, !accountIds.contains(counterparty) {
            throw ClearingError(
                .unknownParticipant, "central counterparty \(counterparty) needs a settlement account")
        }
        let economics = try PartnerEconomics.compute(input)
        let clearingDebts = economics.flatMap { $0.clearingDebts(operatorId: input.operatorId) }
        // Without clearing lines the ledger's debts go in as they are (no copy of a large cycle).
        let netting = try Netting.net(
            clearingDebts.isEmpty ? input.debts : input.debts + clearingDebts, operatorId: input.operatorId,
            participants: input.accounts.map(\.id))
        // Interning added every debt's ids; more positions than accounts means an unknown id.
        if netting.positions.count != accountIds.count {
            let unknown = netting.positions.first { !accountIds.contains($0.participant) }!.participant
            throw ClearingError(
                .unknownParticipant,
                "a gross debt names \(unknown), which has no settlement account; add its IBAN/BIC or fix the ledger",
                location: "debts", found: unknown)
        }
        let instructions = try InstructionPlanner.instructions(for: netting.positions, mode: mode)
        let efficiency = try NettingEfficiency.of(netting, instructions)
        var settlement = CycleSettlement(
            input: input, mode: mode, netting: netting, instructions: instructions, efficiency: efficiency)
        settlement.economics = economics
        return settlement
    }
}
