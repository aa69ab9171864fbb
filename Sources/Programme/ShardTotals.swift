/// Whole-shard totals over every cycle, sealed and open.
public struct ShardTotals: Sendable, Equatable {
    public var partners: [PartnerTotals]
    /// Sorted by (payer, payee), summed over all cycles.
    public var debts: [DebtTotal]
    public var accepted: Int64
    public var rejected: Int64
    public var duplicates: Int64
    public var deadLetters: Int64
    public var nextOffset: Int64

    public init(
        partners: [PartnerTotals], debts: [DebtTotal], accepted: Int64, rejected: Int64, duplicates: Int64, deadLetters: Int64, nextOffset: Int64
    ) {
        self.partners = partners
        self.debts = debts
        self.accepted = accepted
        self.rejected = rejected
        self.duplicates = duplicates
        self.deadLetters = deadLetters
        self.nextOffset = nextOffset
    }
}

public struct PartnerTotals: Sendable, Equatable {
    public var partnerId: String
    public var issued: Int64
    public var redeemed: Int64
    public var expired: Int64
    public var clawedBack: Int64
    /// Points left in the lots it issued.
    public var outstanding: Int64
    public var feesMinor: Int64
    /// Bonus points of the promotions it funded (part of `issued`).
    public var promoted: Int64

    public init(
        partnerId: String, issued: Int64, redeemed: Int64, expired: Int64, clawedBack: Int64, outstanding: Int64, feesMinor: Int64,
        promoted: Int64 = 0
    ) {
        self.partnerId = partnerId
        self.issued = issued
        self.redeemed = redeemed
        self.expired = expired
        self.clawedBack = clawedBack
        self.outstanding = outstanding
        self.feesMinor = feesMinor
        self.promoted = promoted
    }
}
