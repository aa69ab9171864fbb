import Programme

/// How a partner's economics read in its statement and in the manifest (docs/finance.md,
/// "Statement and manifest fields").
extension PartnerEconomics {
    /// The statement's economics records, after `fees`: `record,counterparty,amount,unit`
    /// rows; unit `text` holds a word in the amount column, `flag` holds 0 or 1. Deposit
    /// rows only for a partner with a deposit, `exposure_cap` only with a cap.
    func appendStatementRows(to out: inout ByteBuffer) {
        Self.row(&out, "funding_model", "", fundingModel.rawValue, "text")
        Self.row(&out, "value_issued", "", issuedValueMinor, "minor")
        Self.row(&out, "value_redeemed", "", redeemedValueMinor, "minor")
        Self.row(&out, "breakage", breakageKeeper, breakageValueMinor, "minor")
        Self.row(&out, "funded", "", fundedMinor, "minor")
        Self.row(&out, "fees_redemption", "", redemptionFeesMinor, "minor")
        Self.row(&out, "fees_cycle", "", cycleFeeMinor, "minor")
        if let deposit {
            Self.row(&out, "deposit_opening", "", deposit.openingMinor, "minor")
            for topUp in deposit.topUps { Self.row(&out, "deposit_top_up", topUp.reference, topUp.amountMinor, "minor") }
            Self.row(&out, "deposit_drawn", "", deposit.drawnMinor, "minor")
            Self.row(&out, "deposit_closing", "", deposit.closingMinor, "minor")
            Self.row(&out, "deposit_frozen", "", deposit.frozenMinor, "minor")
            Self.row(&out, "deposit_uncovered", "", deposit.uncoveredMinor, "minor")
            Self.row(&out, "deposit_when_exhausted", "", deposit.whenExhausted.rawValue, "text")
            Self.row(&out, "deposit_low", "", deposit.low ? 1 : 0, "flag")
            Self.row(&out, "deposit_exhausted", "", deposit.exhausted ? 1 : 0, "flag")
            Self.row(&out, "accruals_suspended", "", accrualsSuspended ? 1 : 0, "flag")
        }
        Self.row(&out, "exposure_points", "", exposure.outstandingPoints, "points")
        Self.row(&out, "exposure_value", "", exposure.valueMinor, "minor")
        if let cap = exposure.capMinor { Self.row(&out, "exposure_cap", "", cap, "minor") }
        Self.row(&out, "exposure_over_cap", "", exposure.overCap ? 1 : 0, "flag")
    }

    private static func row(_ out: inout ByteBuffer, _ record: String, _ counterparty: String, _ amount: Int64, _ unit: String) {
        row(&out, record, counterparty, String(amount), unit)
    }

    private static func row(_ out: inout ByteBuffer, _ record: String, _ counterparty: String, _ amount: String, _ unit: String) {
        out.append("\(record),\(counterparty),\(amount),\(unit)\n")
    }

    /// The partner's entry under the manifest's `partner_economics`.
    var manifestValue: JSONValue {
        var entry: [String: JSONValue] = [
            "funding_model": .string(fundingModel.rawValue),
            "points": .object([
                "issued": .integer(issuedPoints), "redeemed": .integer(redeemedPoints), "expired": .integer(expiredPoints),
                "outstanding": .integer(exposure.outstandingPoints),
            ]),
            "value_issued_minor": .integer(issuedValueMinor),
            "value_redeemed_minor": .integer(redeemedValueMinor),
            "breakage": .object(["value_minor": .integer(breakageValueMinor), "kept_by": .string(breakageKeeper)]),
            "funded_minor": .integer(fundedMinor),
            "fees": .object([
                "accrual_minor": .integer(accrualFeesMinor), "redemption_minor": .integer(redemptionFeesMinor),
                "cycle_minor": .integer(cycleFeeMinor),
            ]),
            "exposure": .object(
                [
                    "outstanding_points": .integer(exposure.outstandingPoints), "value_minor": .integer(exposure.valueMinor),
                    "over_cap": .integer(exposure.overCap ? 1 : 0),
                ].merging(exposure.capMinor.map { ["cap_minor": .integer($0)] } ?? [:]) { a, _ in a }),
        ]
        if let deposit {
            entry["deposit"] = .object([
                "opening_minor": .integer(deposit.openingMinor),
                "top_ups": .array(
                    deposit.topUps.map { .object(["reference": .string($0.reference), "amount_minor": .integer($0.amountMinor)]) }),
                "topped_up_minor": .integer(deposit.toppedUpMinor),
                "drawn_minor": .integer(deposit.drawnMinor),
                "closing_minor": .integer(deposit.closingMinor),
                "frozen_minor": .integer(deposit.frozenMinor),
                "low_threshold_minor": .integer(deposit.lowThresholdMinor),
                "uncovered_minor": .integer(deposit.uncoveredMinor),
                "when_exhausted": .string(deposit.whenExhausted.rawValue),
                "low": .integer(deposit.low ? 1 : 0),
                "exhausted": .integer(deposit.exhausted ? 1 : 0),
                "accruals_suspended": .integer(accrualsSuspended ? 1 : 0),
            ])
        }
        return .object(entry)
    }

    /// The manifest's `partner_economics` (by partner id) and `economics_totals`.
    static func manifestEntries(_ economics: [PartnerEconomics]) throws(ClearingError) -> [String: JSONValue] {
        var byPartner: [String: JSONValue] = [:]
        var sums = [String: Int64]()
        var lists = ["low_deposits": [JSONValue](), "exhausted_deposits": [], "accruals_suspended": [], "over_exposure_cap": []]
        for item in economics {
            byPartner[item.partnerId] = item.manifestValue
            let keeperKey = item.fundingModel == .operatorFunded ? "breakage_kept_by_operator_minor" : "breakage_kept_by_partners_minor"
            for (key, value) in [
                (keeperKey, item.breakageValueMinor), ("funded_minor", item.fundedMinor), ("deposit_drawn_minor", item.deposit?.drawnMinor ?? 0),
                ("cycle_fees_minor", item.cycleFeeMinor), ("redemption_fees_minor", item.redemptionFeesMinor),
                ("accrual_fees_minor", item.accrualFeesMinor), ("exposure_value_minor", item.exposure.valueMinor),
            ] {
                guard addChecked(&sums[key, default: 0], value) else { throw Netting.overflow("economics total \(key)") }
            }
            if item.deposit?.low == true { lists["low_deposits"]!.append(.string(item.partnerId)) }
            if item.deposit?.exhausted == true { lists["exhausted_deposits"]!.append(.string(item.partnerId)) }
            if item.accrualsSuspended { lists["accruals_suspended"]!.append(.string(item.partnerId)) }
            if item.exposure.overCap { lists["over_exposure_cap"]!.append(.string(item.partnerId)) }
        }
        var totals: [String: JSONValue] = [:]
        for key in [
            "breakage_kept_by_operator_minor", "breakage_kept_by_partners_minor", "funded_minor", "deposit_drawn_minor", "cycle_fees_minor",
            "redemption_fees_minor", "accrual_fees_minor", "exposure_value_minor",
        ] {
            totals[key] = .integer(sums[key] ?? 0)
        }
        for (key, ids) in lists { totals[key] = .array(ids) }
        return ["partner_economics": .object(byPartner), "economics_totals": .object(totals)]
    }
}
