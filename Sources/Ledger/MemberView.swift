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

    public struct Lot: Sendable, Equatable {
        /// The offset of the accrual that created it.
        public var lotId: Int64
        public var issuer: String
        public var pointsLeft: Int64
        /// `Programme.neverExpires` when points never expire.
        public var expiresAtMilliseconds: Int64
        public var createdAtMilliseconds: Int64

        public init(lotId: Int64, issuer: String, pointsLeft: Int64, expiresAtMilliseconds: Int64, createdAtMilliseconds: Int64) {
            self.lotId = lotId
            self.issuer = issuer
            self.pointsLeft = pointsLeft
            self.expiresAtMilliseconds = expiresAtMilliseconds
            self.createdAtMilliseconds = createdAtMilliseconds
        }
    }
}
