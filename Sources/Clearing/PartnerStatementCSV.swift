/// `cycle-<N>-statement-<partner>.csv`: `record,counterparty,amount,unit` rows.
///
/// Records, in this order: `receivable` / `payable` per counterparty (gross bilateral sums,
/// counterparty order), `self_debt` (recorded, never settled), `total_receivable`,
/// `total_payable`, `net_position`, `settlement_pay` / `settlement_receive` per instruction
/// (sequence order), `points_issued`, `points_redeemed`, `points_expired`,
/// `points_clawed_back`, `fees`. Unit is `minor` or `points`.
enum PartnerStatementCSV {
    static let header = "record,counterparty,amount,unit\n"

    struct Index {
        var receivables: [String: [Int]] = [:]
        var payables: [String: [Int]] = [:]
        var instructions: [String: [Int]] = [:]

        init(_ settlement: CycleSettlement) {
            for (offset, obligation) in settlement.netting.obligations.enumerated() {
                receivables[obligation.payee, default: []].append(offset)
                payables[obligation.payer, default: []].append(offset)
            }
            for (offset, instruction) in settlement.instructions.enumerated() {
                instructions[instruction.payer, default: []].append(offset)
                instructions[instruction.payee, default: []].append(offset)
            }
        }
    }

    static func render(partner: String, settlement: CycleSettlement, index: Index) -> String {
        let obligations = settlement.netting.obligations
        var out = header
        var receivableMinor: Int64 = 0
        var payableMinor: Int64 = 0
        // Obligations are sorted by (payer, payee): receivables come out in payer order,
        // payables in payee order.
        for offset in index.receivables[partner] ?? [] {
            out += row("receivable", obligations[offset].payer, obligations[offset].amountMinor, "minor")
            receivableMinor &+= obligations[offset].amountMinor
        }
        for offset in index.payables[partner] ?? [] {
            out += row("payable", obligations[offset].payee, obligations[offset].amountMinor, "minor")
            payableMinor &+= obligations[offset].amountMinor
        }
        if let selfDebt = settlement.netting.selfDebts.first(where: { $0.participant == partner }) {
            out += row("self_debt", partner, selfDebt.amountMinor, "minor")
        }
        out += row("total_receivable", "", receivableMinor, "minor")
        out += row("total_payable", "", payableMinor, "minor")
        out += row("net_position", "", receivableMinor &- payableMinor, "minor")
        for offset in index.instructions[partner] ?? [] {
            let instruction = settlement.instructions[offset]
            if instruction.payer == partner {
                out += row("settlement_pay", instruction.payee, instruction.amountMinor, "minor")
            } else {
                out += row("settlement_receive", instruction.payer, instruction.amountMinor, "minor")
            }
        }
        let points = settlement.input.points.first { $0.partner == partner }
        out += row("points_issued", "", points?.issued ?? 0, "points")
        out += row("points_redeemed", "", points?.redeemed ?? 0, "points")
        out += row("points_expired", "", points?.expired ?? 0, "points")
        out += row("points_clawed_back", "", points?.clawedBack ?? 0, "points")
        out += row("fees", "", points?.feesMinor ?? 0, "minor")
        return out
    }

    private static func row(_ record: String, _ counterparty: String, _ amount: Int64, _ unit: String) -> String {
        // Ids are validated to need no quoting.
        "\(record),\(counterparty),\(amount),\(unit)\n"
    }
}
