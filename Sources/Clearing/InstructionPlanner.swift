/// Turns net positions into a deterministic list of transfers.
public enum InstructionPlanner {
    /// Instructions realising `positions` under `mode`. Input order does not matter.
    /// Throws `.invalidInput` if positions do not sum to 0, repeat a participant, or the
    /// CCP operator is not among them.
    public static func instructions(
        for positions: [NetPosition], mode: InstructionMode
    ) throws(ClearingError) -> [SettlementInstruction] {
        let sorted = positions.sorted { idPrecedes($0.participant, $1.participant) }
        var total: Int64 = 0
        for (offset, position) in sorted.enumerated() {
            if offset > 0, sorted[offset - 1].participant == position.participant {
                throw ClearingError(
                    .invalidInput, "participant \(position.participant) has two net positions; pass one per participant")
            }
            guard addChecked(&total, position.amountMinor) else { throw Netting.overflow("sum of net positions") }
        }
        guard total == 0 else {
            throw ClearingError(
                .invalidInput, "net positions must sum to 0 before planning instructions",
                expected: "0", found: String(total))
        }
        switch mode {
        case .greedy:
            return greedy(sorted)
        case .centralCounterparty(let operatorId):
            guard sorted.contains(where: { $0.participant == operatorId }) else {
                throw ClearingError(
                    .invalidInput, "the central counterparty \(operatorId) has no net position; include the operator")
            }
            return centralCounterparty(sorted, operatorId: operatorId)
        }
    }

    /// `sorted` is in id order, so an index is the id's rank.
    private static func greedy(_ sorted: [NetPosition]) -> [SettlementInstruction] {
        var debtors = PositionHeap(
            sorted.indices.filter { sorted[$0].amountMinor < 0 }.map {
                .init(amountMinor: -sorted[$0].amountMinor, rank: $0)
            })
        var creditors = PositionHeap(
            sorted.indices.filter { sorted[$0].amountMinor > 0 }.map {
                .init(amountMinor: sorted[$0].amountMinor, rank: $0)
            })
        var result: [SettlementInstruction] = []
        while let debtor = debtors.pop(), let creditor = creditors.pop() {
            let amountMinor = min(debtor.amountMinor, creditor.amountMinor)
            result.append(
                SettlementInstruction(
                    sequence: result.count + 1, payer: sorted[debtor.rank].participant,
                    payee: sorted[creditor.rank].participant, amountMinor: amountMinor))
            if debtor.amountMinor > amountMinor {
                debtors.push(.init(amountMinor: debtor.amountMinor - amountMinor, rank: debtor.rank))
            }
            if creditor.amountMinor > amountMinor {
                creditors.push(.init(amountMinor: creditor.amountMinor - amountMinor, rank: creditor.rank))
            }
        }
        precondition(debtors.isEmpty && creditors.isEmpty, "greedy netting must clear every position")
        return result
    }

    /// Collections into the operator first, then pay-outs, each in id order: the operator
    /// is funded before it pays.
    private static func centralCounterparty(
        _ sorted: [NetPosition], operatorId: String
    ) -> [SettlementInstruction] {
        var result: [SettlementInstruction] = []
        for position in sorted where position.participant != operatorId && position.amountMinor < 0 {
            result.append(
                SettlementInstruction(
                    sequence: result.count + 1, payer: position.participant, payee: operatorId,
                    amountMinor: -position.amountMinor))
        }
        for position in sorted where position.participant != operatorId && position.amountMinor > 0 {
            result.append(
                SettlementInstruction(
                    sequence: result.count + 1, payer: operatorId, payee: position.participant,
                    amountMinor: position.amountMinor))
        }
        return result
    }
}
