/// Per-partner figures that add up: a cycle's points over its shards (the clearing node's
/// settlement input), a ledger's totals over its shards (`loyalty dev`, `ledger inspect`).
public protocol PartnerFigures {
    var partnerId: String { get }
    /// Both figures added; `partnerId` is the left side's.
    static func + (a: Self, b: Self) -> Self
}

extension Sequence where Element: PartnerFigures {
    /// One sum per partner, in partner-id order.
    public func summedByPartner() -> [Element] {
        var sums: [String: Element] = [:]
        for item in self { sums[item.partnerId] = sums[item.partnerId].map { $0 + item } ?? item }
        return sums.keys.sorted().map { sums[$0]! }
    }
}

extension PartnerPoints: PartnerFigures {
    public static func + (a: PartnerPoints, b: PartnerPoints) -> PartnerPoints {
        PartnerPoints(
            partnerId: a.partnerId, issued: a.issued + b.issued, redeemed: a.redeemed + b.redeemed, expired: a.expired + b.expired,
            clawedBack: a.clawedBack + b.clawedBack, feesMinor: a.feesMinor + b.feesMinor, promoted: a.promoted + b.promoted,
            outstanding: a.outstanding + b.outstanding, redemptionFeesMinor: a.redemptionFeesMinor + b.redemptionFeesMinor,
            fundedMinor: a.fundedMinor + b.fundedMinor)
    }
}

extension PartnerTotals: PartnerFigures {
    public static func + (a: PartnerTotals, b: PartnerTotals) -> PartnerTotals {
        PartnerTotals(
            partnerId: a.partnerId, issued: a.issued + b.issued, redeemed: a.redeemed + b.redeemed, expired: a.expired + b.expired,
            clawedBack: a.clawedBack + b.clawedBack, outstanding: a.outstanding + b.outstanding, feesMinor: a.feesMinor + b.feesMinor,
            promoted: a.promoted + b.promoted)
    }
}
