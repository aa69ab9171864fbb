import Ledger
import Logging
import Programme
import Prometheus

/// The archives kept up, as ops see them (docs/operations.md, "Archives", "Watching it"):
/// after each batch that sealed cycles, and when a partition is taken, the shard's sealed
/// history still in its hot tables goes into the partition's gauges.
extension WorkerLoop {
    /// Sets `partition`'s hot-history gauges from `shard`; after a seal (`sealed`), a
    /// warning while cycles past the archive age stay hot, naming the cycle that holds
    /// them and until when. A shard that cannot be read here is only logged: the next
    /// seal tries again.
    func observeHotHistory(_ partition: Int32, _ shard: Shard, sealed: Bool) {
        let history: HotHistory
        do {
            history = try shard.hotHistory()
        } catch {
            logger.warning(
                "cannot read the shard's hot cycles; the archive gauges keep their values",
                metadata: [LogKey.partition: "\(partition)", LogKey.error: "\(error)"])
            return
        }
        let gauges = series(partition)
        gauges.hotCycles.set(Int64(history.cycles))
        gauges.archiveOverdueCycles.set(Int64(history.overdueCycles))
        gauges.archiveAgeSeconds.set((history.archiveAgeMilliseconds ?? 0) / 1_000)
        guard sealed, history.overdueCycles > 0, let oldest = history.oldest, let age = history.archiveAgeMilliseconds else { return }
        let (release, overflow) = oldest.archiveTimeMilliseconds.addingReportingOverflow(age)
        logger.warning(
            "sealed cycles past the archive age stay in the hot tables: the oldest holds them, its rows carry a time after its close",
            metadata: [
                LogKey.partition: "\(partition)", LogKey.cycle: "\(oldest.cycle)", "overdue_cycles": "\(history.overdueCycles)",
                "closed_at": "\(CivilTime.iso8601(milliseconds: oldest.closedAtMilliseconds))",
                "latest_row_time": "\(CivilTime.iso8601(milliseconds: oldest.archiveTimeMilliseconds))",
                "archived_after": overflow ? "never" : "\(CivilTime.iso8601(milliseconds: release))",
                "held_by": "\(oldest.heldBy ?? "a gateway record (its occurred_at_ms)")",
            ])
    }
}
