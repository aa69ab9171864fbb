/// What the expiry and pending-points rules remember of a member (docs/programme.md,
/// "Expiry" and "Pending points"). Two numbers at most; both absent (the empty state) for
/// a programme without inactivity expiry or pending points.
struct ActivityState: Equatable, Codable {
    /// Expiry by inactivity: the latest event time of the member's accepted transactions,
    /// and the deadline it sets (N months later): when an event time reaches the deadline
    /// every open lot of the member is due (`LedgerRules.isInactive`).
    var lastMilliseconds: Int64?
    var deadlineMilliseconds: Int64?
    /// Pending points: the latest release time of any lot the member was credited (an
    /// upper bound on its open lots' `availableAtMilliseconds`, never lowered). While an
    /// event time is below it some points may be pending, so the rules read the lots.
    var pendingUntilMilliseconds: Int64?

    init() {}

    enum CodingKeys: String, CodingKey {
        case lastMilliseconds = "last_ms"
        case deadlineMilliseconds = "deadline_ms"
        case pendingUntilMilliseconds = "pending_until_ms"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lastMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .lastMilliseconds)
        deadlineMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .deadlineMilliseconds)
        pendingUntilMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .pendingUntilMilliseconds)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(lastMilliseconds, forKey: .lastMilliseconds)
        try c.encodeIfPresent(deadlineMilliseconds, forKey: .deadlineMilliseconds)
        try c.encodeIfPresent(pendingUntilMilliseconds, forKey: .pendingUntilMilliseconds)
    }
}
