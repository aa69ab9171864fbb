import Programme

/// Expiry by inactivity (docs/programme.md, "Expiry"; policy `inactivity`): all of a
/// member's points expire N months after its last accepted transaction.
///
/// - Lots of such a programme never expire on their own (`expiresAtMilliseconds` =
///   `Programme.neverExpires`); the member's `ActivityState` holds the latest event time of
///   its accepted accruals, redemptions, refunds and cancels and the deadline N months
///   after it. Each of those moves the deadline (`recordActivity`; an out-of-order event
///   time never moves it back). Rejections, duplicates and inquiries do not.
/// - Lazily, as for lot expiry: an accepted transaction whose event time reaches the
///   deadline first expires every open lot of the member (`expireDue`: breakage of each
///   lot's issuer in the open cycle) and clears the deadline; the transaction then sets a
///   new one.
/// - At barriers: each new lot is queued in the expiry queue at the member's deadline as
///   of its creation. A barrier closing at T takes the queue's entries due at T
///   (`LedgerStore.lotsDue`); an entry whose member's deadline moved past T goes back into
///   the queue at the new deadline instead of expiring, the others are breakage in the
///   cycle the barrier seals. Every open lot of the member keeps an entry at or before its
///   deadline, so a barrier after the deadline expires all of them, in the right cycle.
/// Event times only: a replay moves the same deadlines and expires the same lots.
extension LedgerRules {
    /// Moves the member's inactivity deadline after an accepted accrual, redemption,
    /// refund or cancel (`effects.member`, as the rule left it).
    func recordActivity(_ t: Transaction, into effects: inout Effects) {
        guard programme.expiryPolicy.inactivityMonths != nil, effects.memberChanged else { return }
        switch t.body {
        case .accrual, .redemption, .refund, .cancel: break
        default: return
        }
        var activity = effects.member.programme.activity
        let last = max(activity.lastMilliseconds ?? .min, t.eventTimeMilliseconds)
        activity.lastMilliseconds = last
        activity.deadlineMilliseconds = programme.inactivityDeadline(lastActivityMilliseconds: last) ?? Programme.neverExpires
        effects.member.programme.activity = activity
    }
}
