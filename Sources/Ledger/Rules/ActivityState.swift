/// A member's last activity, for expiry by inactivity (docs/programme.md, "Expiry").
/// Filled in by the expiry rules.
struct ActivityState: Equatable, Codable {
    init() {}
}
