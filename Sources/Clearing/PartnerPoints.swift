/// A partner's points activity and fees in a cycle, for its statement.
public struct PartnerPoints: Sendable, Hashable {
    public var partner: String
    public var issued: Int64
    public var redeemed: Int64
    public var expired: Int64
    public var clawedBack: Int64
    /// Operator fees charged in the cycle (already part of the gross debts partner → operator).
    public var feesMinor: Int64

    public init(partner: String, issued: Int64, redeemed: Int64, expired: Int64, clawedBack: Int64, feesMinor: Int64) {
        self.partner = partner
        self.issued = issued
        self.redeemed = redeemed
        self.expired = expired
        self.clawedBack = clawedBack
        self.feesMinor = feesMinor
    }
}
