import Programme

/// Barriers: a barrier of cycle N closing at time T (entry `offset`) first expires every
/// lot due at T (`breakage`), then seals the open cycle (`seal`): its entries, counts,
/// debts and statistics become cycle N's, and the next open cycle starts after the
/// barrier. A barrier of a cycle already sealed changes nothing (`seals` is false): the
/// position sealed then is published again.
extension LedgerRules {
    /// A lot due when a barrier closes the cycle.
    struct DueLot {
        var lotId: Int64
        var memberId: String
        var issuer: String
        var points: Int64
    }

    /// Breakage at a barrier of a lot due at its close time: the lot closes, the member's
    /// balance loses its points, its issuer's expired count gains them, no debt. The expiry
    /// floor stays as it is: emptying lots only raises the earliest open expiry, so it
    /// remains a lower bound (the member's next read of its lots sets it exactly).
    static func breakage(of lot: DueLot, member: MemberState, into effects: inout Effects) {
        var member = member
        effects.updateLot(lot.lotId, issuer: lot.issuer, from: lot.points, to: 0)
        member.balance -= lot.points
        effects.store(member)
        effects.stat(PartnerPoints(partnerId: lot.issuer, expired: lot.points))
    }

    /// Whether a barrier of `cycle` seals the open cycle: only one after the last sealed.
    static func seals(_ cycle: Int64, lastSealedCycle: Int64) -> Bool { cycle > lastSealedCycle }

    /// The open cycle as the barrier at `barrierOffset` seals it as `cycle`.
    struct CycleSeal: Equatable {
        var cycle: Int64
        /// The cycle's entries: from the open cycle's first offset to the barrier's.
        var offsets: ClosedRange<Int64>
        var closedAtMilliseconds: Int64
        var counts: EntryCounts
        /// Where the next open cycle starts; its counts start at 0.
        var nextFirstOffset: Int64 { offsets.upperBound + 1 }
    }

    static func seal(
        cycle: Int64, closedAtMilliseconds: Int64, barrierOffset: Int64, openFirstOffset: Int64, counts: EntryCounts
    ) -> CycleSeal {
        precondition(openFirstOffset <= barrierOffset, "cycle \(cycle): open cycle starts at \(openFirstOffset), after its barrier \(barrierOffset)")
        return CycleSeal(cycle: cycle, offsets: openFirstOffset...barrierOffset, closedAtMilliseconds: closedAtMilliseconds, counts: counts)
    }
}
