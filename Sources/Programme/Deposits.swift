/// A partner's deposit (docs/finance.md, "Deposits"): money it paid the operator when it
/// joined, held by the operator. Part of it (`amount − frozen`) is drawable; the frozen
/// part stays until the partner leaves and is never drawn.
///
/// What draws it depends on the partner's funding model: an operator-funded partner's
/// deposit pays the value of the points it issues (its debt to the operator is reduced by
/// what the deposit covered); an on-redemption partner owes nothing at accrual, so its
/// deposit is a guarantee that its exposure (open points × value) is checked against.
public struct Deposit: Sendable, Hashable {
    /// What happens when the drawable part runs out.
    public enum WhenExhausted: String, Sendable, Hashable, CaseIterable {
        /// Keep accruing; what the deposit did not cover stays a debt settled in the cycle.
        case owe
        /// The clearing node suspends the partner's accruals from the next barrier until a
        /// top-up restores the drawable part (accruals refused DEPOSIT_EXHAUSTED).
        case refuse
    }

    /// The balance of the partner's first cycle, in minor units (top-ups add to it).
    public var amountMinor: Int64
    /// The part never drawn; 0 = all of it is drawable.
    public var frozenMinor: Int64
    /// A drawable part (balance − frozen) below this is flagged in the statement and the
    /// manifest; 0 = never flagged.
    public var lowThresholdMinor: Int64
    public var whenExhausted: WhenExhausted

    public init(amountMinor: Int64, frozenMinor: Int64 = 0, lowThresholdMinor: Int64 = 0, whenExhausted: WhenExhausted = .owe) {
        self.amountMinor = amountMinor
        self.frozenMinor = frozenMinor
        self.lowThresholdMinor = lowThresholdMinor
        self.whenExhausted = whenExhausted
    }
}

extension ProgrammeFile {
    /// A partner's `deposit` section.
    struct DepositFile: Decodable {
        var amountMinor: Int64?
        var frozenMinor: Int64?
        var lowThresholdMinor: Int64?
        var whenExhausted: String?

        enum CodingKeys: String, CodingKey {
            case amountMinor = "amount_minor"
            case frozenMinor = "frozen_minor"
            case lowThresholdMinor = "low_threshold_minor"
            case whenExhausted = "when_exhausted"
        }
    }
}

extension Programme {
    /// Decodes a partner's `deposit` section (nil when absent).
    static func decodeDeposit(
        _ file: ProgrammeFile.DepositFile?, base: String, problems: inout [(field: String, reason: String)]
    ) -> Deposit? {
        guard let file else { return nil }
        if file.amountMinor == nil { problems.append(("\(base).amount_minor", "is missing (the deposit paid when the partner joined)")) }
        var exhausted = Deposit.WhenExhausted.owe
        if let text = file.whenExhausted {
            if let mode = Deposit.WhenExhausted(rawValue: text) {
                exhausted = mode
            } else {
                problems.append(("\(base).when_exhausted", "must be \"owe\" or \"refuse\", got \"\(text)\""))
            }
        }
        return Deposit(
            amountMinor: file.amountMinor ?? 0, frozenMinor: file.frozenMinor ?? 0, lowThresholdMinor: file.lowThresholdMinor ?? 0,
            whenExhausted: exhausted)
    }

    /// The checks of a partner's `deposit` and `exposure_cap_minor`.
    func checkDeposit(_ partner: Partner, base: String, _ report: (String, String) -> Void) {
        if let deposit = partner.deposit {
            let field = "\(base).deposit"
            if !(0...FieldLimits.maxAmount).contains(deposit.amountMinor) {
                report("\(field).amount_minor", "must be in 0...10^12 minor units, got \(deposit.amountMinor)")
            }
            // Against a valid amount only: a bad amount is reported once, above.
            if deposit.frozenMinor < 0 || (deposit.amountMinor >= 0 && deposit.frozenMinor > deposit.amountMinor) {
                report("\(field).frozen_minor", "must be in 0...amount_minor (\(deposit.amountMinor)), got \(deposit.frozenMinor)")
            }
            if !(0...FieldLimits.maxAmount).contains(deposit.lowThresholdMinor) {
                report("\(field).low_threshold_minor", "must be in 0...10^12 minor units, got \(deposit.lowThresholdMinor)")
            }
        }
        if let cap = partner.exposureCapMinor, !FieldLimits.amountRange.contains(cap) {
            report("\(base).exposure_cap_minor", "must be in 1...10^12 minor units (leave it out for no cap), got \(cap)")
        }
    }
}
