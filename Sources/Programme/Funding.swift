/// Who pays for a partner's points (docs/programme.md, "Funding models and fees"):
///
/// - `on_redemption` (the default): the partner pays when its points are spent: at each
///   redemption, the issuer of each portion owes the redeeming partner its value.
/// - `operator_funded`: the partner buys its points from the operator when it issues them
///   (at accrual it owes the operator their value on top of its fee), and the operator pays
///   the redeeming partner when they are spent. Breakage stays with the operator.
public enum FundingModel: String, Sendable, Hashable, CaseIterable {
    case onRedemption = "on_redemption"
    case operatorFunded = "operator_funded"
}

/// A partner's fixed fees, in minor units of the programme's currency.
public struct PartnerFees: Sendable, Hashable {
    /// What the partner owes the operator for every redemption accepted at it (a cancel
    /// gives it back).
    public var perRedemptionMinor: Int64
    /// What the partner owes the operator every clearing cycle (charged by the clearing node).
    public var perCycleMinor: Int64

    public init(perRedemptionMinor: Int64 = 0, perCycleMinor: Int64 = 0) {
        self.perRedemptionMinor = perRedemptionMinor
        self.perCycleMinor = perCycleMinor
    }
}

extension ProgrammeFile {
    /// A partner's `fees` section.
    struct FeesFile: Decodable {
        var perRedemptionMinor: Int64?
        var perCycleMinor: Int64?

        enum CodingKeys: String, CodingKey {
            case perRedemptionMinor = "per_redemption_minor"
            case perCycleMinor = "per_cycle_minor"
        }
    }
}

extension Programme {
    /// A fee per redemption: at most 10^9 minor units (10 million in a 2-decimal currency).
    public static let perRedemptionFeeRange: ClosedRange<Int64> = 0...1_000_000_000
    /// A fee per cycle: at most 10^12 minor units.
    public static let perCycleFeeRange: ClosedRange<Int64> = 0...1_000_000_000_000

    /// A partner's `funding_model` and `fees` (both optional).
    static func decodeFunding(
        _ file: ProgrammeFile.PartnerFile, base: String, problems: inout [(field: String, reason: String)]
    ) -> (FundingModel, PartnerFees) {
        var model = FundingModel.onRedemption
        if let name = file.fundingModel {
            if let known = FundingModel(rawValue: name) {
                model = known
            } else {
                problems.append(
                    ("\(base).funding_model", "must be \"on_redemption\" or \"operator_funded\", got \(FieldLimits.quoted(name))"))
            }
        }
        let fees = PartnerFees(perRedemptionMinor: file.fees?.perRedemptionMinor ?? 0, perCycleMinor: file.fees?.perCycleMinor ?? 0)
        return (model, fees)
    }

    func checkFunding(_ partner: Partner, base: String, _ report: (String, String) -> Void) {
        if !Self.perRedemptionFeeRange.contains(partner.fees.perRedemptionMinor) {
            report("\(base).fees.per_redemption_minor", "must be in 0...10^9 minor units, got \(partner.fees.perRedemptionMinor)")
        }
        if !Self.perCycleFeeRange.contains(partner.fees.perCycleMinor) {
            report("\(base).fees.per_cycle_minor", "must be in 0...10^12 minor units, got \(partner.fees.perCycleMinor)")
        }
    }

    /// Whether the points `issuer` issued are paid for by the operator when redeemed: the
    /// operator's own (promotion bonus lots it funds) and an operator-funded partner's. An
    /// issuer no longer in the programme pays for its own points (on_redemption).
    public func operatorPays(forIssuer issuer: String) -> Bool {
        issuer == operatorId || partner(issuer)?.fundingModel == .operatorFunded
    }
}
