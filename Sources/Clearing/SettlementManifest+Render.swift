import Programme

extension SettlementManifest {
    /// The canonical manifest text for `settlement`, listing `fileHashes` (name → SHA-256 hex).
    static func render(_ settlement: CycleSettlement, fileHashes: [String: String]) throws(ClearingError) -> String {
        let input = settlement.input
        var accounts: [String: JSONValue] = [:]
        for account in input.accounts {
            accounts[account.id] = .object([
                "name": .string(account.name), "iban": .string(account.iban), "bic": .string(account.bic),
            ])
        }
        var totals = (accepted: Int64(0), rejected: Int64(0), duplicates: Int64(0), deadLetters: Int64(0), offsets: Int64(0))
        var partitions: [JSONValue] = []
        for range in input.partitions.sorted(by: { $0.partition < $1.partition }) {
            guard addChecked(&totals.accepted, range.accepted), addChecked(&totals.rejected, range.rejected),
                addChecked(&totals.duplicates, range.duplicates), addChecked(&totals.deadLetters, range.deadLetters),
                addChecked(&totals.offsets, range.offsetCount)
            else { throw Netting.overflow("partition totals") }
            partitions.append(
                .object([
                    "partition": .integer(Int64(range.partition)), "first_offset": .integer(range.firstOffset),
                    "barrier_offset": .integer(range.barrierOffset), "offset_count": .integer(range.offsetCount),
                    "accepted": .integer(range.accepted), "rejected": .integer(range.rejected),
                    "duplicates": .integer(range.duplicates), "dead_letters": .integer(range.deadLetters),
                ]))
        }
        var positions: [String: JSONValue] = [:]
        var receivableMinor: Int64 = 0
        for position in settlement.netting.positions {
            positions[position.participant] = .integer(position.amountMinor)
            if position.amountMinor > 0 { receivableMinor &+= position.amountMinor }  // ≤ gross, checked
        }
        var selfDebtMinor: Int64 = 0
        for selfDebt in settlement.netting.selfDebts {
            guard addChecked(&selfDebtMinor, selfDebt.amountMinor) else { throw Netting.overflow("self-debt total") }
        }
        let efficiency = settlement.efficiency
        var root: [String: JSONValue] = [
            "format": .string(formatName),
            "cycle": .integer(input.cycle),
            "operator_id": .string(input.operatorId),
            "instruction_mode": .string(settlement.mode.manifestName),
            "currency": .object([
                "code": .string(input.currency.code),
                "minor_unit_exponent": .integer(Int64(input.currency.minorUnitExponent)),
            ]),
            "window": .object([
                "from_closed_at_ms": .integer(input.previousClosedAtMilliseconds),
                "to_closed_at_ms": .integer(input.closedAtMilliseconds),
                "from_closed_at": .string(CivilTime.iso8601(milliseconds: input.previousClosedAtMilliseconds)),
                "to_closed_at": .string(CivilTime.iso8601(milliseconds: input.closedAtMilliseconds)),
            ]),
            "accounts": .object(accounts),
            "partitions": .array(partitions),
            "partition_totals": .object([
                "accepted": .integer(totals.accepted), "rejected": .integer(totals.rejected),
                "duplicates": .integer(totals.duplicates), "dead_letters": .integer(totals.deadLetters),
                "offset_count": .integer(totals.offsets),
            ]),
            "gross": .object([
                "entry_count": .integer(Int64(settlement.netting.entryCount)),
                "obligation_count": .integer(Int64(settlement.netting.obligations.count)),
                "amount_minor": .integer(settlement.netting.grossAmountMinor),
                "self_debt_amount_minor": .integer(selfDebtMinor),
            ]),
            "net": .object([
                "instruction_count": .integer(Int64(settlement.instructions.count)),
                "moved_amount_minor": .integer(efficiency.movedAmountMinor),
                "total_receivable_minor": .integer(receivableMinor),
                "total_payable_minor": .integer(receivableMinor),
            ]),
            "netting_efficiency": .object([
                "gross_obligation_count": .integer(Int64(efficiency.grossObligationCount)),
                "instruction_count": .integer(Int64(efficiency.instructionCount)),
                "gross_amount_minor": .integer(efficiency.grossAmountMinor),
                "moved_amount_minor": .integer(efficiency.movedAmountMinor),
                "money_saved_basis_points": .integer(efficiency.moneySavedBasisPoints),
            ]),
            "net_positions": .object(positions),
            "files": .object(fileHashes.mapValues { .string($0) }),
            "previous_manifest_sha256": .string(input.previousManifestHash),
        ]
        if case .centralCounterparty(let counterparty) = settlement.mode {
            root["central_counterparty_id"] = .string(counterparty)
        }
        root["programme_versions"] = .array(input.programmeVersions.map { .string($0) })
        root.merge(try PartnerEconomics.manifestEntries(settlement.economics)) { _, economics in economics }
        return JSONValue.object(root).canonicalText
    }
}
