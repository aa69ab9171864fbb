/// A member's balance and the lots behind it.
public struct MemberView: Sendable, Equatable {
    public var memberId: String
    /// Sum of the lots' points left minus the shortfall.
    public var balance: Int64
    /// Points owed after a refund clawed back more than the member held (≥ 0).
    public var shortfall: Int64
    /// Lots with points left, in redemption order (earliest expiry, then oldest).
    public var lots: [Lot]

    public init(memberId: String, balance: Int64, shortfall: Int64, lots: [Lot]) {
        self.memberId = memberId
        self.balance = balance
        self.shortfall = shortfall
        self.lots = lots
    }

    /// A lot with points left (the rules' `OpenLot`).
    public typealias Lot = OpenLot
}
