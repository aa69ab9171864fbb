import Programme

/// `cycle-<N>-statement-<partner>.csv`: `record,counterparty,amount,unit` rows.
///
/// Records, in this order: `receivable` per counterparty (gross bilateral sums, counterparty
/// order), `payable` per counterparty, `self_debt` (recorded, never settled),
/// `total_receivable`, `total_payable`, `net_position`, `settlement_pay` /
/// `settlement_receive` per instruction (sequence order), `points_issued`,
/// `points_redeemed`, `points_expired`, `points_clawed_back`, `points_promoted` (only when
/// not 0: bonus points of the promotions it funds, part of `points_issued`), `fees` (the
/// accrual fee), then for a programme partner its economics (`funding_model` … `exposure_over_cap`,
/// PartnerEconomics+Render.swift). Unit is `minor`, `points`, `text` (a word in the amount
/// column) or `flag` (0 or 1). Participant ids and top-up references need no CSV quoting.
enum PartnerStatementCSV {
    static let header = "record,counterparty,amount,unit\n"

    /// Obligation and instruction offsets per participant, built in one pass so each
    /// statement costs only its own rows.
    struct Index: Sendable {
        var participant: [String: Int] = [:]
        var ids: [[UInt8]] = []
        var receivables: [[Int32]]
        var payables: [[Int32]]
        var instructions: [[Int32]]
        var points: [String: PartnerPoints] = [:]
        var selfDebts: [String: Int64] = [:]
        var economics: [String: PartnerEconomics] = [:]

        init(_ settlement: CycleSettlement) {
            for (offset, position) in settlement.netting.positions.enumerated() {
                participant[position.participant] = offset
                ids.append(Array(position.participant.utf8))
            }
            receivables = Array(repeating: [], count: ids.count)
            payables = Array(repeating: [], count: ids.count)
            instructions = Array(repeating: [], count: ids.count)
            for (offset, obligation) in settlement.netting.obligations.enumerated() {
                // Obligations are sorted by (payer, payee): receivables land in payer order,
                // payables in payee order.
                receivables[participant[obligation.payee]!].append(Int32(offset))
                payables[participant[obligation.payer]!].append(Int32(offset))
            }
            for (offset, instruction) in settlement.instructions.enumerated() {
                instructions[participant[instruction.payer]!].append(Int32(offset))
                instructions[participant[instruction.payee]!].append(Int32(offset))
            }
            for entry in settlement.input.points { points[entry.partnerId] = entry }
            for selfDebt in settlement.netting.selfDebts { selfDebts[selfDebt.participant] = selfDebt.amountMinor }
            for item in settlement.economics { economics[item.partnerId] = item }
        }
    }

    static func render(partner: String, settlement: CycleSettlement, index: Index) -> [UInt8] {
        let obligations = settlement.netting.obligations
        let me = index.participant[partner]!
        var out = ByteBuffer(capacity: (index.receivables[me].count + index.payables[me].count) * 28 + 512)
        out.append(header)
        var receivableMinor: Int64 = 0
        var payableMinor: Int64 = 0
        // Sums of parts of the checked gross total, so they cannot overflow.
        for offset in index.receivables[me] {
            let obligation = obligations[Int(offset)]
            row(&out, "receivable,", index.ids[index.participant[obligation.payer]!], obligation.amountMinor, minor)
            receivableMinor &+= obligation.amountMinor
        }
        for offset in index.payables[me] {
            let obligation = obligations[Int(offset)]
            row(&out, "payable,", index.ids[index.participant[obligation.payee]!], obligation.amountMinor, minor)
            payableMinor &+= obligation.amountMinor
        }
        if let selfDebtMinor = index.selfDebts[partner] {
            row(&out, "self_debt,", index.ids[me], selfDebtMinor, minor)
        }
        row(&out, "total_receivable,", [], receivableMinor, minor)
        row(&out, "total_payable,", [], payableMinor, minor)
        row(&out, "net_position,", [], receivableMinor &- payableMinor, minor)
        for offset in index.instructions[me] {
            let instruction = settlement.instructions[Int(offset)]
            if instruction.payer == partner {
                row(&out, "settlement_pay,", index.ids[index.participant[instruction.payee]!], instruction.amountMinor, minor)
            } else {
                row(&out, "settlement_receive,", index.ids[index.participant[instruction.payer]!], instruction.amountMinor, minor)
            }
        }
        let points = index.points[partner]
        row(&out, "points_issued,", [], points?.issued ?? 0, pointsUnit)
        row(&out, "points_redeemed,", [], points?.redeemed ?? 0, pointsUnit)
        row(&out, "points_expired,", [], points?.expired ?? 0, pointsUnit)
        row(&out, "points_clawed_back,", [], points?.clawedBack ?? 0, pointsUnit)
        // Only for a partner that funds promotions: a statement without them reads as before.
        if let promoted = points?.promoted, promoted != 0 { row(&out, "points_promoted,", [], promoted, pointsUnit) }
        row(&out, "fees,", [], points?.feesMinor ?? 0, minor)
        index.economics[partner]?.appendStatementRows(to: &out)
        return out.bytes
    }

    private static let minor = Array(",minor\n".utf8)
    private static let pointsUnit = Array(",points\n".utf8)

    @inline(__always)
    private static func row(_ out: inout ByteBuffer, _ record: StaticString, _ counterparty: [UInt8], _ amount: Int64, _ unit: [UInt8]) {
        out.appendStatic(record)
        out.append(counterparty)
        out.append(UInt8(ascii: ","))
        out.append(amount)
        out.append(unit)
    }
}
