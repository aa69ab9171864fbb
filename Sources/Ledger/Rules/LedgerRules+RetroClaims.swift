import Programme

/// Retro-claims (docs/programme.md, "Retro-claims"): a member's missing accrual (a receipt
/// found later), sent with `retro_claim` and its original time as `occurred_at_ms`, which
/// is then its event time: it is priced by the rules of that time (the partner's rate,
/// the promotions running then) and its lot expires counting from then.
///
/// It is accepted while its event time is at most `claim_window_days` before the time it
/// was claimed: the gateway's `received_at_ms` when the gateway stamped one, else the
/// shard's log time (the close time of its last sealed barrier; before the first barrier
/// nothing is past the window). Never the wall clock, so a replay decides alike. Without
/// `claim_window_days` every retro-claim is refused PAST_CLAIM_WINDOW.
///
/// The idempotency horizon is checked first: a claim older than `idempotency_horizon_days`
/// behind the log time is PAST_IDEMPOTENCY_HORIZON whatever the window (the programme
/// check refuses a window longer than the horizon for that reason).
extension LedgerRules {
    /// Refuses a retro-claim outside the claim window. `logTime`: the log time if the
    /// caller read it already (it is read here otherwise, only for a retro-claim).
    func checkRetroClaim(_ t: Transaction, logTime: Int64?, inputs: some RuleInputs) throws {
        guard t.details.retroClaim else { return }
        guard let days = programme.claimWindowDays else {
            throw Rejection(
                .pastClaimWindow, "retro_claim: programme \(programme.version) sets no claim_window_days, so retro-claims are refused")
        }
        let claimedAt: Int64?
        if t.details.receivedAtMilliseconds > 0 {
            claimedAt = t.details.receivedAtMilliseconds
        } else {
            claimedAt = try logTime ?? inputs.logTimeMilliseconds()
        }
        guard let claimedAt else { return }
        let window = Int64(days) * CivilTime.millisecondsPerDay
        let (age, overflow) = claimedAt.subtractingReportingOverflow(t.eventTimeMilliseconds)
        guard overflow ? t.eventTimeMilliseconds < 0 : age > window else { return }
        throw Rejection(
            .pastClaimWindow,
            "occurred_at_ms: \(t.eventTimeMilliseconds) is more than \(days) days before the claim at \(claimedAt) (claim_window_days)")
    }
}
