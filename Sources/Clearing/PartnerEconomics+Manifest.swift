/// The manifest's partner economics as the verifier reads them back (format 2); the
/// writer's side is `PartnerEconomics.manifestValue`.
extension SettlementManifest {
    package struct PartnerEconomicsField: Decodable, Sendable {
        package struct Points: Decodable, Sendable {
            package var issued: Int64
            package var redeemed: Int64
            package var expired: Int64
            package var outstanding: Int64
        }

        package struct Breakage: Decodable, Sendable {
            package var value_minor: Int64
            package var kept_by: String
        }

        package struct Fees: Decodable, Sendable {
            package var accrual_minor: Int64
            package var redemption_minor: Int64
            package var cycle_minor: Int64
        }

        package struct TopUp: Decodable, Sendable {
            package var reference: String
            package var amount_minor: Int64
        }

        package struct DepositField: Decodable, Sendable {
            package var opening_minor: Int64
            package var top_ups: [TopUp]
            package var topped_up_minor: Int64
            package var drawn_minor: Int64
            package var closing_minor: Int64
            package var frozen_minor: Int64
            package var low_threshold_minor: Int64
            package var uncovered_minor: Int64
            package var when_exhausted: String
            package var low: Int64
            package var exhausted: Int64
            package var accruals_suspended: Int64
        }

        package struct Exposure: Decodable, Sendable {
            package var outstanding_points: Int64
            package var value_minor: Int64
            package var cap_minor: Int64?
            package var over_cap: Int64
        }

        package var funding_model: String
        package var points: Points
        package var value_issued_minor: Int64
        package var value_redeemed_minor: Int64
        package var breakage: Breakage
        package var funded_minor: Int64
        package var fees: Fees
        package var deposit: DepositField?
        package var exposure: Exposure
    }

    package struct EconomicsTotals: Decodable, Sendable {
        package var breakage_kept_by_operator_minor: Int64
        package var breakage_kept_by_partners_minor: Int64
        package var funded_minor: Int64
        package var deposit_drawn_minor: Int64
        package var cycle_fees_minor: Int64
        package var redemption_fees_minor: Int64
        package var accrual_fees_minor: Int64
        package var exposure_value_minor: Int64
        package var low_deposits: [String]
        package var exhausted_deposits: [String]
        package var accruals_suspended: [String]
        package var over_exposure_cap: [String]
    }

    /// The first inconsistency of the partner economics (nil when they add up): each
    /// deposit's closing = opening + top-ups − drawn and not below its frozen part unless it
    /// opened below it; top-ups sum to `topped_up_minor`; the totals are the partners' sums.
    package func economicsProblem() -> (location: String, expected: String, found: String)? {
        guard let partners = partner_economics else { return nil }
        var drawn: Int64 = 0
        var cycleFees: Int64 = 0
        for id in partners.keys.sorted() {
            let entry = partners[id]!
            cycleFees &+= entry.fees.cycle_minor
            guard let deposit = entry.deposit else { continue }
            let base = "partner_economics.\(id).deposit"
            let topped = deposit.top_ups.reduce(Int64(0)) { $0 &+ $1.amount_minor }
            if topped != deposit.topped_up_minor { return ("\(base).topped_up_minor", String(topped), String(deposit.topped_up_minor)) }
            let closing = deposit.opening_minor &+ topped &- deposit.drawn_minor
            if closing != deposit.closing_minor { return ("\(base).closing_minor", String(closing), String(deposit.closing_minor)) }
            if deposit.drawn_minor < 0 || (deposit.drawn_minor > 0 && closing < deposit.frozen_minor) {
                return ("\(base).drawn_minor", "0...\(max(0, deposit.opening_minor &+ topped &- deposit.frozen_minor))", String(deposit.drawn_minor))
            }
            drawn &+= deposit.drawn_minor
        }
        if let totals = economics_totals {
            if totals.deposit_drawn_minor != drawn {
                return ("economics_totals.deposit_drawn_minor", String(drawn), String(totals.deposit_drawn_minor))
            }
            if totals.cycle_fees_minor != cycleFees {
                return ("economics_totals.cycle_fees_minor", String(cycleFees), String(totals.cycle_fees_minor))
            }
        }
        return nil
    }
}
