import Foundation
import Ledger
import SnapshotStore

/// Snapshots in the loop: after a commit, start a background snapshot when one is due;
/// on assignment of a partition without its shard file, restore the newest snapshot so
/// that only the log after it is replayed (docs/operations.md, "Snapshots and hand-over").
extension WorkerLoop {
    /// After `partition`'s batch committed: counts the cycles it sealed and lets the
    /// schedule decide. One nil check when snapshots are off.
    /// Also updates the archive gauges when the batch sealed a cycle (`observeHotHistory`).
    func snapshotIfDue(_ partition: Int32, after applied: Shard.Pending) {
        guard case .open(let shard, let nextOffset) = slots[partition] else { return }
        var sealed = 0
        for case .position in applied.outputs { sealed += 1 }
        if sealed > 0 { observeHotHistory(partition, shard, sealed: true) }
        snapshots?.committed(partition: partition, sealedCycles: sealed, nextOffset: nextOffset)
    }

    /// Before `partition`'s shard is opened: without a shard file at `path`, restores the
    /// newest snapshot there (the shard then resumes from its offset, so results for the
    /// offsets below it are neither applied nor published again). Returns what was restored.
    func restoreIfMissing(_ partition: Int32, path: String) -> SnapshotManifest? {
        guard let snapshots else { return nil }
        guard !FileManager.default.fileExists(atPath: path) else {
            snapshots.assigned(partition: partition)
            return nil
        }
        return snapshots.restore(partition: partition, to: path)
    }
}
