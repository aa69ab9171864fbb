/// What every result and balance answer says of the member besides the balance: the
/// status, the points still pending and those expiring soon (result.proto fields 10–13).
/// All empty for a programme without statuses or pending points.
public struct MemberFacts: Sendable, Hashable {
    /// The member's status as the programme names it; empty without statuses.
    public var status: String
    /// Points earned but still in a partner's return window: not spendable.
    public var pendingPoints: Int64
    /// Balance answers only: points expiring before `expiringBeforeMilliseconds`.
    public var expiringPoints: Int64
    public var expiringBeforeMilliseconds: Int64

    public init(status: String = "", pendingPoints: Int64 = 0, expiringPoints: Int64 = 0, expiringBeforeMilliseconds: Int64 = 0) {
        self.status = status
        self.pendingPoints = pendingPoints
        self.expiringPoints = expiringPoints
        self.expiringBeforeMilliseconds = expiringBeforeMilliseconds
    }
}
