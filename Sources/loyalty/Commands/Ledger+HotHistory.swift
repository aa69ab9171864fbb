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
}
