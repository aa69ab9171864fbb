import Dispatch
import Foundation
import Ledger
import SnapshotStore

/// One snapshot `loyalty bench history` took.
public struct HistorySnapshot: Sendable {
    public var cycle: Int64
    /// The first offset the snapshot does not cover.
    public var nextOffset: Int64
    public var bytes: Int64
    /// The consistent copy of the live shard and its put into the store.
    public var seconds: Double
    var manifest: SnapshotManifest
}

/// The bench's snapshots, as a worker takes them: a consistent copy of the live shard on a
/// connection of its own (`Shard.snapshot`), put into a directory snapshot store, the
/// newest kept.
struct HistorySnapshots {
    let store: DirectorySnapshotStore
    let scratch: String

    init(directory: String) throws {
        store = try DirectorySnapshotStore(root: directory + "/store")
        scratch = directory + "/copy.sqlite"
    }

    func take(shardPath: String, cycle: Int64) throws -> HistorySnapshot {
        let started = DispatchTime.now().uptimeNanoseconds
        let copy = try Shard.snapshot(shardPath: shardPath, partition: 0, to: scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let manifest = try store.putSnapshot(
            file: copy.path, partition: 0, nextOffset: copy.nextOffset, lastSealedCycle: copy.lastSealedCycle)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        try store.prune(partition: 0, keep: 1)
        return HistorySnapshot(cycle: cycle, nextOffset: copy.nextOffset, bytes: copy.bytes, seconds: seconds, manifest: manifest)
    }

    /// Fetches `snapshot` into `path` (checked against its manifest), as a worker taking
    /// the partition without its file does.
    func restore(_ snapshot: HistorySnapshot, to path: String) throws {
        try store.restore(snapshot.manifest, partition: 0, to: path)
    }
}
