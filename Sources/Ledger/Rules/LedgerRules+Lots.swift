import Programme

/// Expiry, pending points and taking points from lots, shared by every rule. `lots` are
/// always the member's open lots in redemption order (`OpenLot.precedes`); lots due by
/// their own expiry are a prefix.
///
/// What a member cannot spend at an event time t (`held`): its lots due at t (expiry ≤ t,
/// or every lot once its inactivity deadline ≤ t) that storage has not expired yet, and
/// its pending lots (`availableAtMilliseconds > t`, a partner's return window). Pending
/// points are in the balance the store keeps (lots − shortfall = balance holds as before)
/// but never in a reported balance; they expire by the programme's policy like any other
/// points (expiry counts from earning, not from release).
extension LedgerRules {
    /// Expiry by inactivity: whether the member's deadline has come at `time`, making
    /// every open lot of its due.
    static func isInactive(_ member: MemberState, at time: Int64) -> Bool {
        guard let deadline = member.programme.activity.deadlineMilliseconds else { return false }
        return deadline <= time
    }

    /// Whether some of the member's lots may still be pending at `time` (below the latest
    /// release time it was ever credited).
    static func mayHavePending(_ member: MemberState, at time: Int64) -> Bool {
        guard let until = member.programme.activity.pendingUntilMilliseconds else { return false }
        return until > time
    }

    /// Whether the member's lots must be read at `time`: something may be due (the expiry
    /// floor, the inactivity deadline) or pending. While neither (the common case) they
    /// need not be.
    static func lotsNeeded(_ member: MemberState, at time: Int64) -> Bool {
        member.expiryFloorMilliseconds <= time || isInactive(member, at: time) || mayHavePending(member, at: time)
    }

    /// What the member can spend at `time`: the balance less what is held then (due but
    /// not expired yet, or pending). Every reported balance is this one. `lots` are read
    /// only when `lotsNeeded`.
    static func spendable(_ member: MemberState, lots: [OpenLot], at time: Int64) -> Int64 {
        guard lotsNeeded(member, at: time) else { return member.balance }
        return member.balance - held(member, lots: lots, at: time)
    }

    /// Points of `lots` the member cannot spend at `time`: due or pending.
    static func held(_ member: MemberState, lots: some Sequence<OpenLot>, at time: Int64) -> Int64 {
        let inactive = isInactive(member, at: time)
        let pending = mayHavePending(member, at: time)
        var held: Int64 = 0
        for lot in lots {
            if inactive || lot.expiresAtMilliseconds <= time {
                held += lot.pointsLeft
            } else if !pending {
                break  // redemption order: nothing further is due, and nothing is pending
            } else if lot.isPending(at: time) {
                held += lot.pointsLeft
            }
        }
        return held
    }

    /// Points of `lots` pending at `time` (not due, still in their return window).
    static func pendingPoints(_ member: MemberState, lots: some Sequence<OpenLot>, at time: Int64) -> Int64 {
        guard mayHavePending(member, at: time), !isInactive(member, at: time) else { return 0 }
        var pending: Int64 = 0
        for lot in lots where lot.isPending(at: time) && lot.expiresAtMilliseconds > time { pending += lot.pointsLeft }
        return pending
    }

    /// Points pending at `time` once a rule's effects are applied: those of `lots` (the
    /// member's lots as the rule read them) with `effects.lotUpdates` applied, and the new
    /// lot's and bonus lots' (promotions: a bonus lot given a release time is pending like
    /// any). `member`: the member as the rule leaves it. What `balance_after` leaves out.
    static func pendingAfter(_ member: MemberState, lots: some Sequence<OpenLot>, effects: Effects, at time: Int64) -> Int64 {
        var pending: Int64 = 0
        if let lot = effects.newLot, lot.isPending(at: time), lot.expiresAtMilliseconds > time { pending += lot.pointsLeft }
        for lot in effects.bonusLots where lot.isPending(at: time) && lot.expiresAtMilliseconds > time { pending += lot.pointsLeft }
        guard mayHavePending(member, at: time), !isInactive(member, at: time) else { return pending }
        for lot in lots where lot.isPending(at: time) && lot.expiresAtMilliseconds > time && lot.lotId != effects.newLot?.lotId {
            pending += effects.lotUpdates.last(where: { $0.lotId == lot.lotId })?.pointsLeft ?? lot.pointsLeft
        }
        return pending
    }

    /// Breakage of the member's lots due at `time` (expiry ≤ time; all of them once its
    /// inactivity deadline ≤ time, which then clears: nothing is left to expire): counted
    /// as expired for their issuers, no debt. The expiry floor is then set exactly.
    /// `force`: whatever the floor says (points went back into lots it does not cover).
    /// Returns the lots still open; `lots` are read only when `lotsNeeded` or `force`.
    static func expireDue(
        _ member: inout MemberState, lots: [OpenLot], at time: Int64, force: Bool = false, into effects: inout Effects
    ) -> ArraySlice<OpenLot> {
        guard force || lotsNeeded(member, at: time) else { return lots[...] }
        let inactive = isInactive(member, at: time)
        let due = inactive ? lots[...] : lots.prefix { $0.expiresAtMilliseconds <= time }
        for lot in due {
            effects.updateLot(lot.lotId, issuer: lot.issuer, from: lot.pointsLeft, to: 0)
            member.balance -= lot.pointsLeft
            effects.stat(PartnerPoints(partnerId: lot.issuer, expired: lot.pointsLeft))
        }
        if inactive { member.programme.activity.deadlineMilliseconds = nil }
        let open = lots[due.endIndex...]
        let floor = open.first?.expiresAtMilliseconds ?? MemberState.noOpenLots
        if !due.isEmpty || floor != member.expiryFloorMilliseconds || inactive {
            member.expiryFloorMilliseconds = floor
            effects.store(member)
        }
        return open
    }

    /// Takes up to `points` from `lots`: `firstLot` first when given, then in redemption
    /// order, pending lots included (a refund's clawback is not a spend: it takes back what
    /// its original credited, pending or not). Returns how many were taken. The expiry
    /// floor stays a lower bound: taking only raises the earliest open expiry.
    static func take(_ points: Int64, from lots: ArraySlice<OpenLot>, firstLot: Int64?, into effects: inout Effects) -> Int64 {
        var remaining = points
        func takeFrom(_ lot: OpenLot) {
            let portion = min(remaining, lot.pointsLeft)
            effects.updateLot(lot.lotId, issuer: lot.issuer, from: lot.pointsLeft, to: lot.pointsLeft - portion)
            remaining -= portion
        }
        if remaining > 0, let firstLot, let first = lots.first(where: { $0.lotId == firstLot }) { takeFrom(first) }
        for lot in lots where remaining > 0 && lot.lotId != firstLot { takeFrom(lot) }
        return points - remaining
    }
}
