import Programme

/// The idempotency horizon and the reversal window (docs/design.md, "Bounded hot state").
///
/// Both count in event time against the log time: the close time of the shard's last
/// sealed barrier, carried in the log, so a replay decides exactly as the first run did.
/// Before the first barrier there is no log time and nothing is past either limit.
///
/// The horizon counts from the *partner's* time (`Transaction.partnerTimeMilliseconds`:
/// `occurred_at_ms`), not from the event time: through a gateway the event time is its
/// `received_at_ms`, stamped anew on every retry, so a retry of a transaction archived long
/// ago would always look recent (found on 2026-12-04: it was paid twice).
///
/// Why they make archiving safe: a sealed cycle's rows leave the hot tables once the
/// later of its close time and its rows' latest time (`cycle_times`: the latest event or
/// partner time a journaled row carries, `archiveTime(of:)`) is more than max(H, R) before
/// a barrier's close time C, and C ≤ the log time L of every later entry. So
/// - a transaction inside the horizon (L − p ≤ H) whose key was journaled with the same
///   partner time p still finds its original hot: p ≥ L − H ≥ C − max(H, R);
/// - a reversal inside the window (max(its time, L) − original's time ≤ R) finds its
///   original hot for the same reason: the original's time ≥ L − R. Counting from the
///   later of the reversal's own time and L is what makes this hold for a back-dated
///   reversal too (its event time alone could lie anywhere).
/// A cycle whose rows carry times after its close waits for them. Until 2026-12-04 the
/// close time alone was compared, so a row dated ahead of its cycle (a partner clock ahead,
/// a future-dated record) left while a retry of it was still inside the horizon. How long a
/// cycle can wait is bounded by `checkAhead`.
extension LedgerRules {
    /// Refuses `t` when its partner time is more than the horizon behind `logTime`.
    func checkHorizon(_ t: Transaction, logTime: Int64?) throws(Rejection) {
        guard let horizon = programme.idempotencyHorizonMilliseconds else { return }
        try checkAhead(t, logTime: logTime)
        guard let logTime else { return }
        let time = t.partnerTimeMilliseconds
        let (age, overflow) = logTime.subtractingReportingOverflow(time)
        guard overflow ? time < 0 : age > horizon else { return }
        throw Rejection(
            .pastIdempotencyHorizon,
            "occurred_at_ms: \(time) is more than \(programme.idempotencyHorizonDays ?? 0) days before the log time \(logTime) (idempotency_horizon_days)"
        )
    }

    /// The time a journaled row of `t` keeps its cycle hot until (plus the archive age):
    /// the later of its event time and its partner time.
    static func archiveTime(of t: Transaction) -> Int64 {
        max(t.eventTimeMilliseconds, t.partnerTimeMilliseconds)
    }

    /// Refuses `t` (INVALID_FIELD) when its event or partner time is more than the archive
    /// age (max(H, R)) after the latest clock the shard knows: the log time, or the
    /// gateway's stamp when it is later (trusted up to the age past the log time). A
    /// cycle's rows are archived only once their latest time is that far behind a close
    /// time, so one record dated years ahead would keep its cycle, and every cycle after
    /// it, in the hot tables until then. Without either clock (a record straight from a
    /// partner before the partition's first barrier) nothing is refused.
    func checkAhead(_ t: Transaction, logTime: Int64?) throws(Rejection) {
        guard let age = programme.archiveAgeMilliseconds else { return }
        let gatewayTime = t.details.occurredAtMilliseconds > 0 ? t.eventTimeMilliseconds : t.details.receivedAtMilliseconds
        // The stamp is trusted up to the age past the log time: a producer other than the
        // gateway can set it, and one dated years ahead would otherwise vouch for itself.
        var clock = gatewayTime
        if let logTime {
            let (cap, overflow) = logTime.addingReportingOverflow(age)
            clock = max(logTime, overflow ? gatewayTime : min(gatewayTime, cap))
        }
        guard clock > 0 else { return }
        let time = Self.archiveTime(of: t)
        let (ahead, overflow) = time.subtractingReportingOverflow(clock)
        // clock > 0: only a time near Int64.min overflows, and that is far behind.
        guard !overflow, ahead > age else { return }
        let field = time == t.partnerTimeMilliseconds ? "occurred_at_ms" : "received_at_ms"
        let against =
            clock == logTime
            ? "the log time \(clock)"
            : clock == gatewayTime ? "the gateway's received_at_ms \(clock)" : "the log time \(logTime ?? 0) plus that age, \(clock)"
        var refusal = Rejection(
            .invalidField,
            "\(field): \(time) is more than \(age / CivilTime.millisecondsPerDay) days after \(against) (the longer of idempotency_horizon_days and reversal_window_days): a record dated that far ahead would hold its cycle's rows out of the archives"
        )
        // The row holds nothing, so its key is kept apart until a retry is past the horizon.
        refusal.datedAhead = true
        throw refusal
    }

    /// Refuses a refund or cancel more than the window after its original's event time
    /// (counted from the later of its own event time and `logTime`). An original journaled
    /// before event times were stored counts from its cycle's close time; in the open
    /// cycle, with neither, it is never refused (its cycle cannot be archived before its
    /// seal). Until 2026-12-04 such an original was never refused: a cancel of one whose
    /// archive was already built changed rows the archive had taken as they were, and the
    /// archive's lots were deleted with the points the cancel gave back.
    func checkReversalWindow(_ t: Transaction, original: OriginalRecord, originalTxnId: String, logTime: Int64?) throws(Rejection) {
        guard let window = programme.reversalWindowMilliseconds,
            let originalTime = original.eventTimeMilliseconds ?? original.sealedAtMilliseconds
        else { return }
        let now = max(t.eventTimeMilliseconds, logTime ?? .min)
        let (age, overflow) = now.subtractingReportingOverflow(originalTime)
        guard overflow ? now > 0 : age > window else { return }
        throw Rejection(
            .pastReversalWindow,
            "original_partner_txn_id: \"\(originalTxnId)\" occurred at \(originalTime), more than \(programme.reversalWindowDays ?? 0) days before \(now) (reversal_window_days)"
        )
    }
}
