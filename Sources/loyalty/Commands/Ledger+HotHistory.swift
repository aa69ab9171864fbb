import Ledger
import Programme

extension LedgerCommand.Inspect {
    /// `ledger inspect`'s line on the sealed history a shard still holds, as the worker's
    /// `loyalty_worker_hot_cycles` and `archive_overdue_cycles` give it (docs/operations.md,
    /// "Archives"), under the programme given.
    static func hotHistoryLine(_ history: HotHistory) -> String {
        guard let age = history.archiveAgeMilliseconds else {
            return "hot cycles: \(history.cycles) (the programme given archives nothing)"
        }
        var line = "hot cycles: \(history.cycles) (archive age \(age / CivilTime.millisecondsPerDay) days), \(history.overdueCycles) overdue"
        if history.overdueCycles > 0, let oldest = history.oldest {
            line +=
                ": cycle \(oldest.cycle), closed \(CivilTime.iso8601(milliseconds: oldest.closedAtMilliseconds)), holds them with a row dated "
                + CivilTime.iso8601(milliseconds: oldest.archiveTimeMilliseconds) + (oldest.heldBy.map { " (\($0))" } ?? "")
        }
        return line
    }

    /// `ledger inspect`'s line on the limits the shard archived under: a worker's
    /// programme file with longer ones pauses the partition (docs/operations.md, "A
    /// partition paused on a programme version").
    static func archiveLimitsLine(_ limits: (horizonDays: Int, reversalDays: Int)?) -> String {
        guard let limits else { return "archived under: no limits recorded (nothing archived since 2026-12-04)" }
        return "archived under: idempotency_horizon_days \(limits.horizonDays), reversal_window_days \(limits.reversalDays) "
            + "(a worker's programme file may not be longer)"
    }
}
