import Programme

/// A member's promotion counters (docs/programme.md, "Promotions"): its stamp cards and
/// whether it has accrued yet (welcome and referral bonuses go with the first accrual).
/// Small and bounded: one counter per stamp-card promotion of the programme, pruned of
/// promotions the programme no longer runs; `accrued` is kept only while a welcome or
/// referral promotion is configured.
struct PromotionState: Equatable, Codable {
    /// Matching purchases since the stamp card last paid out, by promotion id (absent: 0).
    var stamps: [String: Int64] = [:]
    /// The member has had an accrual since welcome or referral promotions were configured.
    var accrued = false

    init() {}

    enum CodingKeys: String, CodingKey { case stamps, accrued }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stamps = try c.decodeIfPresent([String: Int64].self, forKey: .stamps) ?? [:]
        accrued = try c.decodeIfPresent(Bool.self, forKey: .accrued) ?? false
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !stamps.isEmpty { try c.encode(stamps, forKey: .stamps) }
        if accrued { try c.encode(accrued, forKey: .accrued) }
    }

    /// Drops the counters of promotions that are no longer stamp cards of the programme.
    mutating func prune(keeping promotions: [Promotion]) {
        guard !stamps.isEmpty else { return }
        for id in stamps.keys where !promotions.contains(where: { $0.id == id && $0.kind == .stampCard }) {
            stamps[id] = nil
        }
    }
}
