import Foundation
import Ledger
import LoyaltyTesting
import Programme
import SnapshotStore
import Testing
import Worker

/// The worker's snapshot schedule, without Kafka: what `committed` starts, what it skips,
/// and restoring for a partition without its file.
@Suite(.timeLimit(.minutes(10)))
struct WorkerSnapshotsTests {
    @Test func snapshotsFollowTheSealedCyclesAndSkipWhatIsAlreadyCovered() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("worker-snapshots-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = WorkerConfiguration(bootstrapServers: "unused", dataDirectory: directory + "/data")
        configuration.snapshotDirectory = directory + "/store"
        configuration.snapshotEveryCycles = 2
        configuration.snapshotEverySeconds = 0
        configuration.snapshotsKept = 1
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let metrics = WorkerMetrics()
        let snapshots = try #require(try WorkerSnapshots(configuration: configuration, logger: testLogger(), metrics: metrics))
        let store = try DirectorySnapshotStore(root: directory + "/store")
        let shard = try Shard(path: configuration.shardPath(partition: 0), partition: 0, programme: .sample)
        defer { shard.close() }
        let transactions = syntheticTransactions(400, members: 20, seed: 3)
        try apply(transactions[..<200], to: shard, from: 0)

        #expect(snapshots.behindMilliseconds(partition: 0, nextOffset: 200) == nil, "not scheduled yet")
        let scheduled = WorkerSnapshots.wallMilliseconds()
        snapshots.committed(partition: 0, sealedCycles: 1, nextOffset: 200)
        snapshots.waitForRunning()
        #expect(try store.newest(partition: 0) == nil, "one sealed cycle of two")
        // No snapshot yet: behind since the schedule started.
        #expect(snapshots.behindMilliseconds(partition: 0, nextOffset: 200, nowMilliseconds: scheduled + 60_000) ?? 0 >= 59_000)
        snapshots.committed(partition: 0, sealedCycles: 1, nextOffset: 200)
        snapshots.waitForRunning()
        let first = try #require(try store.newest(partition: 0))
        #expect(first.nextOffset == 200)
        #expect(snapshots.behindMilliseconds(partition: 0, nextOffset: 200, nowMilliseconds: scheduled + 60_000) == 0, "covers every record")
        #expect(snapshots.behindMilliseconds(partition: 0, nextOffset: 201, nowMilliseconds: scheduled + 60_000) ?? 0 >= 59_000)
        // Nothing new since: no second copy of the same offset, however many seals.
        snapshots.committed(partition: 0, sealedCycles: 5, nextOffset: 200)
        snapshots.waitForRunning()
        #expect(try store.snapshots(partition: 0) == [first])

        try apply(transactions[200...], to: shard, from: 200)
        snapshots.committed(partition: 0, sealedCycles: 2, nextOffset: 400)
        snapshots.waitForRunning()
        let second = try #require(try store.newest(partition: 0))
        #expect(second.nextOffset == 400)
        #expect(try store.snapshots(partition: 0) == [second], "snapshotsKept = 1 prunes the older one")
        #expect(!FileManager.default.fileExists(atPath: WorkerSnapshots.stagingPath(dataDirectory: configuration.dataDirectory, partition: 0)))
        #expect(metrics.text.contains("loyalty_worker_snapshots_total{partition=\"0\",result=\"stored\"} 2"), "\(metrics.text)")
        #expect(!metrics.text.contains("result=\"failed\""))

        // A restarted worker taking the partition with its file knows the store's newest:
        // not behind, and nothing copied again for the same offset.
        let restarted = try #require(try WorkerSnapshots(configuration: configuration, logger: testLogger()))
        restarted.assigned(partition: 0)
        #expect(restarted.behindMilliseconds(partition: 0, nextOffset: 400) == 0)
        let behind = try #require(restarted.behindMilliseconds(partition: 0, nextOffset: 401, nowMilliseconds: second.createdAtMilliseconds + 7_000))
        #expect(behind == 7_000, "counted from the stored snapshot, not from the restart")
        restarted.committed(partition: 0, sealedCycles: 5, nextOffset: 400)
        restarted.waitForRunning()
        #expect(try store.snapshots(partition: 0) == [second])

        // A partition without its file: the newest snapshot, whole, at the shard path.
        let path = configuration.shardPath(partition: 0) + ".restored"
        #expect(snapshots.restore(partition: 0, to: path) == second)
        let restored = try Shard(path: path, partition: 0, programme: .sample)
        defer { restored.close() }
        #expect(try restored.digest() == shard.digest())
        #expect(snapshots.restore(partition: 1, to: configuration.shardPath(partition: 1)) == nil)
        #expect(!FileManager.default.fileExists(atPath: configuration.shardPath(partition: 1)))
    }

    @Test func aFailedSnapshotStoresNothingAndDoesNotThrow() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("worker-snapshots-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = WorkerConfiguration(bootstrapServers: "unused", dataDirectory: directory + "/data")
        configuration.snapshotDirectory = directory + "/store"
        configuration.snapshotEverySeconds = 0
        let metrics = WorkerMetrics()
        let snapshots = try #require(try WorkerSnapshots(configuration: configuration, logger: testLogger(), metrics: metrics))
        // No shard file: the snapshot fails, and the caller is not told (the partition goes
        // on); the metrics count it, and the shard stays behind.
        let scheduled = WorkerSnapshots.wallMilliseconds()
        snapshots.committed(partition: 2, sealedCycles: 1, nextOffset: 10)
        snapshots.waitForRunning()
        #expect(try snapshots.store.newest(partition: 2) == nil)
        #expect(snapshots.take(2) == nil)
        #expect(try snapshots.store.list(prefix: "").isEmpty)
        #expect(metrics.text.contains("loyalty_worker_snapshots_total{partition=\"2\",result=\"failed\"} 2"), "\(metrics.text)")
        #expect(snapshots.behindMilliseconds(partition: 2, nextOffset: 10, nowMilliseconds: scheduled + 3_600_000) ?? 0 >= 3_599_000)
    }

    @Test func offWithoutADirectory() throws {
        let configuration = WorkerConfiguration(bootstrapServers: "unused", dataDirectory: "/nonexistent")
        #expect(try WorkerSnapshots(configuration: configuration, logger: testLogger()) == nil)
    }

    private func apply(_ transactions: ArraySlice<Transaction>, to shard: Shard, from offset: Int64) throws {
        let entries = transactions.enumerated().map { index, transaction in
            LedgerEntry(offset: offset + Int64(index), kind: .transaction(transaction))
        }
        _ = try shard.apply(LedgerBatch(entries: entries, nextOffset: offset + Int64(entries.count))) { _ in }
    }
}
