import Programme

/// Expiry and taking points from lots, shared by every rule. `lots` are always the
/// member's open lots in redemption order (`OpenLot.precedes`); due lots are a prefix.
extension LedgerRules {
    /// Whether anything of the member's can be due at `time`, i.e. whether its lots must
    /// be read: while the expiry floor is above `time` (the common case) they need not be.
    static func lotsNeeded(_ member: MemberState, at time: Int64) -> Bool {
        member.expiryFloorMilliseconds <= time
    }

    /// What the member can spend at `time`: the balance less the lots due then that
    /// storage has not expired yet (expiry is applied lazily). Every reported balance is
    /// this one. `lots` are read only when `lotsNeeded`.
    static func spendable(_ member: MemberState, lots: [OpenLot], at time: Int64) -> Int64 {
        guard lotsNeeded(member, at: time) else { return member.balance }
        var due: Int64 = 0
        for lot in lots {
            guard lot.expiresAtMilliseconds <= time else { break }
            due += lot.pointsLeft
        }
        return member.balance - due
    }

    /// Breakage of the member's lots due at `time` (expiry ≤ time): counted as expired for
    /// their issuers, no debt. The expiry floor is then set exactly. `force`: whatever the
    /// floor says (points went back into lots it does not cover). Returns the lots still
    /// open; `lots` are read only when `lotsNeeded` or `force`.
    static func expireDue(
        _ member: inout MemberState, lots: [OpenLot], at time: Int64, force: Bool = false, into effects: inout Effects
    ) -> ArraySlice<OpenLot> {
        guard force || lotsNeeded(member, at: time) else { return lots[...] }
        let due = lots.prefix { $0.expiresAtMilliseconds <= time }
        for lot in due {
            effects.lotUpdates.append((lot.lotId, 0))
            member.balance -= lot.pointsLeft
            effects.stat(PartnerPoints(partnerId: lot.issuer, expired: lot.pointsLeft))
        }
        let open = lots[due.endIndex...]
        let floor = open.first?.expiresAtMilliseconds ?? MemberState.noOpenLots
        if !due.isEmpty || floor != member.expiryFloorMilliseconds {
            member.expiryFloorMilliseconds = floor
            effects.store(member)
        }
        return open
    }

    /// Takes up to `points` from `lots`: `firstLot` first when given, then in redemption
    /// order. Returns how many were taken. The expiry floor stays a lower bound: taking
    /// only raises the earliest open expiry.
    static func take(_ points: Int64, from lots: ArraySlice<OpenLot>, firstLot: Int64?, into effects: inout Effects) -> Int64 {
        var remaining = points
        func takeFrom(_ lot: OpenLot) {
            let portion = min(remaining, lot.pointsLeft)
            effects.lotUpdates.append((lot.lotId, lot.pointsLeft - portion))
            remaining -= portion
        }
        if remaining > 0, let firstLot, let first = lots.first(where: { $0.lotId == firstLot }) { takeFrom(first) }
        for lot in lots where remaining > 0 && lot.lotId != firstLot { takeFrom(lot) }
        return points - remaining
    }
}
