/// A member's status (tier) and the activity that qualifies for one (docs/programme.md,
/// "Statuses"). Filled in by the statuses rule.
struct StatusState: Equatable, Codable {
    init() {}
}
