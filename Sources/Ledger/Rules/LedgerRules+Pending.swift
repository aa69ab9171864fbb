import Programme

/// Pending points (docs/programme.md, "Pending points"): a partner's `pending_days` keeps
/// its accruals' points in a return window. The lot an accrual creates carries its release
/// time (`OpenLot.availableAtMilliseconds` = event time + pending_days); until then:
/// - the points are in the member's lots and stored balance (lots − shortfall = balance
///   still holds), but not spendable: `spendable` leaves them out, a redemption skips
///   their lots, and no `balance_after` or balance answer counts them; they are reported
///   as `MemberFacts.pendingPoints` instead;
/// - a refund of the accrual claws from its own lot first, so inside the window it takes
///   the pending points back and leaves no shortfall (unless the points already paid off
///   an earlier shortfall, which pending points do at once like any other);
/// - expiry counts from earning, as for any lot: pending points whose expiry comes first
///   expire pending (breakage of their issuer), and the expiry floor stays a lower bound
///   on the lots' expiry, untouched by pending.
/// Every release time is an event time: a replay releases the same points at the same
/// entries.
extension LedgerRules {
    /// Notes that the member holds points pending until `availableAt`: while an event time
    /// is below the latest such time, the rules read its lots (`mayHavePending`).
    static func notePending(_ member: inout MemberState, until availableAt: Int64) {
        let until = member.programme.activity.pendingUntilMilliseconds ?? .min
        if availableAt > until { member.programme.activity.pendingUntilMilliseconds = availableAt }
    }
}
