/// A partner's redemption rules (docs/programme.md, "Redemption rules"): what a member
/// must spend at least, how much of a bill points may pay, the fixed-price rewards of the
/// partner's catalogue, and what a point redeemed there is worth in settlement.
///
/// Every rule is optional: a partner without a `redemption` section takes any number of
/// points the member can spend, at the programme's point value.
public struct RedemptionRules: Sendable, Hashable {
    /// The fewest points one redemption may take (else BELOW_MINIMUM_REDEMPTION); 0 = none.
    public var minPoints: Int64 = 0
    /// The largest share of the bill points may pay, in basis points (5_000 = half): the
    /// redemption must then carry `bill_amount_minor`, and its points' settlement value
    /// must be at most that share of it (else OVER_BILL_SHARE). nil = no limit.
    public var maxBillShareBasisPoints: Int64? = nil
    /// Fixed-price rewards, in file order: a redemption naming one costs its points.
    public var rewards: [Reward] = []
    /// What a point redeemed at this partner is worth to it in settlement, when it differs
    /// from the programme's `point_value_minor`. The issuer still owes the programme value;
    /// the operator owes the partner the difference (negative: the partner owes it).
    public var pointValueMinor: Int64? = nil

    /// A catalogue item or a free night: `id` costs exactly `points`.
    public struct Reward: Sendable, Hashable {
        public var id: String
        public var points: Int64

        public init(id: String, points: Int64) {
            (self.id, self.points) = (id, points)
        }
    }

    public init(minPoints: Int64 = 0, maxBillShareBasisPoints: Int64? = nil, rewards: [Reward] = [], pointValueMinor: Int64? = nil) {
        self.minPoints = minPoints
        self.maxBillShareBasisPoints = maxBillShareBasisPoints
        self.rewards = rewards
        self.pointValueMinor = pointValueMinor
    }

    /// The reward called `id`, if the partner offers one.
    public func reward(_ id: String) -> Reward? { rewards.first { $0.id == id } }
}

extension ProgrammeFile {
    /// A partner's `redemption` section.
    struct RedemptionFile: Decodable {
        var minPoints: Int64?
        var maxBillShareBasisPoints: Int64?
        var rewards: [RewardFile]?
        var pointValueMinor: Int64?

        enum CodingKeys: String, CodingKey {
            case rewards
            case minPoints = "min_points"
            case maxBillShareBasisPoints = "max_bill_share_bp"
            case pointValueMinor = "point_value_minor"
        }
    }

    struct RewardFile: Decodable {
        var id: String?
        var points: Int64?
    }
}

extension Programme {
    /// Most rewards one partner may list.
    public static let maxRewardsPerPartner = 1_000

    /// What a point redeemed at `partner` is worth to it in settlement: its own
    /// `redemption.point_value_minor`, else the programme's.
    public func settlementPointValueMinor(partner: Partner) -> Int64 {
        partner.redemption.pointValueMinor ?? pointValueMinor
    }

    /// `settlementPointValueMinor(partner:)` by id; the programme's value for an unknown id.
    public func settlementPointValueMinor(partnerId: String) -> Int64 {
        partner(partnerId).map { settlementPointValueMinor(partner: $0) } ?? pointValueMinor
    }

    static func decodeRedemption(
        _ file: ProgrammeFile.RedemptionFile?, base: String, problems: inout [(field: String, reason: String)]
    ) -> RedemptionRules {
        guard let file else { return RedemptionRules() }
        var rules = RedemptionRules(
            minPoints: file.minPoints ?? 0, maxBillShareBasisPoints: file.maxBillShareBasisPoints, pointValueMinor: file.pointValueMinor)
        if file.minPoints == 0 { problems.append(("\(base).min_points", "must be in 1...10^12 (leave it out for no minimum), got 0")) }
        for (index, reward) in (file.rewards ?? []).enumerated() {
            let field = "\(base).rewards[\(index)]"
            if reward.id == nil { problems.append(("\(field).id", "is missing")) }
            if reward.points == nil { problems.append(("\(field).points", "is missing")) }
            rules.rewards.append(RedemptionRules.Reward(id: reward.id ?? "", points: reward.points ?? 1))
        }
        return rules
    }

    func checkRedemption(_ partner: Partner, base: String, _ report: (String, String) -> Void) {
        let rules = partner.redemption
        if rules.minPoints != 0, !FieldLimits.amountRange.contains(rules.minPoints) {
            report("\(base).min_points", "must be in 1...10^12 (leave it out for no minimum), got \(rules.minPoints)")
        }
        if let share = rules.maxBillShareBasisPoints, !(1...Self.maxBasisPoints).contains(share) {
            report("\(base).max_bill_share_bp", "must be in 1...10000 bp (10000 = the whole bill), got \(share)")
        }
        if let value = rules.pointValueMinor, !Self.pointValueRange.contains(value) {
            report("\(base).point_value_minor", "must be in 1...1000000, got \(value)")
        }
        if rules.rewards.count > Self.maxRewardsPerPartner {
            report("\(base).rewards", "lists \(rules.rewards.count) rewards, more than \(Self.maxRewardsPerPartner)")
        }
        var seen: [String: Int] = [:]
        for (index, reward) in rules.rewards.enumerated() {
            let field = "\(base).rewards[\(index)]"
            do { try FieldLimits.checkId(reward.id, field: "\(field).id") } catch { report(error.field, error.reason) }
            if let first = seen[reward.id] {
                report("\(field).id", "\"\(reward.id)\" is already used by rewards[\(first)]")
            } else {
                seen[reward.id] = index
            }
            if !FieldLimits.amountRange.contains(reward.points) {
                report("\(field).points", "must be in 1...10^12, got \(reward.points)")
            } else if reward.points < rules.minPoints {
                report("\(field).points", "\(reward.points) is below the partner's min_points \(rules.minPoints): it could never be redeemed")
            }
        }
    }
}
