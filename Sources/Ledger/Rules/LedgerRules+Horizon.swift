import Programme

/// The idempotency horizon and the reversal window (docs/design.md, "Bounded hot state").
///
/// Both count in event time against the log time: the close time of the shard's last
/// sealed barrier, carried in the log, so a replay decides exactly as the first run did.
/// Before the first barrier there is no log time and nothing is past either limit.
///
/// Why they make archiving safe: a sealed cycle's rows leave the hot tables once it closed
/// more than max(H, R) before a barrier's close time C, and C ≤ the log time L of every
/// later entry. A row's event time is never after its cycle's close time. So
/// - a transaction inside the horizon (L − t ≤ H) whose key was journaled at the same
///   event time t still finds its original hot: the original's cycle closed at or after t ≥ L − H;
/// - a reversal inside the window (max(its time, L) − original's time ≤ R) finds its
///   original hot for the same reason: the original's time ≥ L − R. Counting from the
///   later of the reversal's own time and L is what makes this hold for a back-dated
///   reversal too (its event time alone could lie anywhere).
extension LedgerRules {
    /// Refuses `t` when its event time is more than the horizon behind `logTime`.
    func checkHorizon(_ t: Transaction, logTime: Int64?) throws(Rejection) {
        guard let horizon = programme.idempotencyHorizonMilliseconds, let logTime else { return }
        let (age, overflow) = logTime.subtractingReportingOverflow(t.eventTimeMilliseconds)
        guard overflow ? t.eventTimeMilliseconds < 0 : age > horizon else { return }
        throw Rejection(
            .pastIdempotencyHorizon,
            "occurred_at_ms: \(t.eventTimeMilliseconds) is more than \(programme.idempotencyHorizonDays ?? 0) days before the log time \(logTime) (idempotency_horizon_days)"
        )
    }

    /// Refuses a refund or cancel more than the window after its original's event time
    /// (counted from the later of its own event time and `logTime`). An original journaled
    /// before event times were stored (nil) is never refused.
    func checkReversalWindow(_ t: Transaction, original: OriginalRecord, originalTxnId: String, logTime: Int64?) throws(Rejection) {
        guard let window = programme.reversalWindowMilliseconds, let originalTime = original.eventTimeMilliseconds else { return }
        let now = max(t.eventTimeMilliseconds, logTime ?? .min)
        let (age, overflow) = now.subtractingReportingOverflow(originalTime)
        guard overflow ? now > 0 : age > window else { return }
        throw Rejection(
            .pastReversalWindow,
            "original_partner_txn_id: \"\(originalTxnId)\" occurred at \(originalTime), more than \(programme.reversalWindowDays ?? 0) days before \(now) (reversal_window_days)"
        )
    }
}
