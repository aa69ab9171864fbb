/// A member's promotion counters: stamp cards, welcome bonus, referral (docs/programme.md,
/// "Promotions"). Filled in by the promotions rule.
struct PromotionState: Equatable, Codable {
    init() {}
}
