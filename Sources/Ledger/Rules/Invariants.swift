import Programme

/// The ledger's invariants, over plain values. The store gathers the values (per member at
/// the end of each batch and at a seal, per sealed cycle) and refuses the batch or the seal
/// that breaks one (`LedgerError.invariant`).
enum Invariants {
    /// A member's lots as the lots table holds them.
    struct Lots: Equatable {
        /// Points left summed over the member's open lots (points left > 0), and how many.
        var openPoints: Int64
        var openCount: Int64
        /// The lowest points left of its open lots (0 without): the lots table's CHECK keeps
        /// every lot, open or spent, at or above zero.
        var lowest: Int64
        /// The earliest expiry of its open lots (`MemberState.noOpenLots` without any).
        var earliestExpiry: Int64
    }

    /// Why `member`'s state and `lots` cannot both be true, or nil: its open lots add up to
    /// its balance with the shortfall taken off, no lot is below zero, a shortfall never
    /// sits next to positive lots, and the expiry floor is a lower bound.
    static func violation(memberId: String, _ member: MemberState, _ lots: Lots) -> String? {
        if lots.openPoints - member.shortfall != member.balance {
            return "member \(memberId): lots \(lots.openPoints) − shortfall \(member.shortfall) ≠ balance \(member.balance)"
        }
        if lots.lowest < 0 { return "member \(memberId): a lot is below zero (\(lots.lowest))" }
        if member.shortfall < 0 { return "member \(memberId): shortfall \(member.shortfall) below zero" }
        if member.shortfall != 0 && lots.openCount != 0 {
            return "member \(memberId): shortfall \(member.shortfall) next to \(lots.openCount) positive lots"
        }
        if member.expiryFloorMilliseconds > lots.earliestExpiry {
            return "member \(memberId): expiry floor \(member.expiryFloorMilliseconds) above the earliest open expiry \(lots.earliestExpiry)"
        }
        return nil
    }

    /// Why a cycle's debts and statistics disagree, or nil: each point redeemed at a
    /// partner (net of cancels) is one debt of its value owed to that partner (by the
    /// lot's issuer), so the debts owed to each partner add up to its redeemed points'
    /// value. `owedTo`: the cycle's debts summed by payee; `redeemed`: its partner statistics.
    static func debtViolation(cycle: Int64, owedTo: [String: Int64], redeemed: [String: Int64], programme: Programme) -> String? {
        for partner in programme.partners.map(\.id).sorted() where partner != programme.operatorId {
            let owed = owedTo[partner, default: 0]
            let points = redeemed[partner, default: 0]
            // At the partner's settlement value: the issuers owe the programme's, the
            // operator the difference (RedemptionRules.swift).
            let (value, overflow) = points.multipliedReportingOverflow(by: programme.settlementPointValueMinor(partnerId: partner))
            if overflow || owed != value {
                return "cycle \(cycle): partner \(partner) is owed \(owed) for \(points) points redeemed at it, worth \(value)"
            }
        }
        return nil
    }
}
