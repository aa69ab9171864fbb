import Foundation
import Ledger
import Logging
import SnapshotStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A worker's shard snapshots: taken in the background after commits on a schedule
/// (`WorkerConfiguration.snapshotEveryCycles`, `snapshotEverySeconds`), and restored when a
/// partition arrives without its shard file (docs/operations.md, "Snapshots and hand-over").
///
/// A snapshot runs on a thread of its own with its own read-only connection to the shard
/// file (`Shard.snapshot`), so the partition's writer never waits for it; at most one runs
/// per shard. A failure is logged, counted (`loyalty_worker_snapshots_total{result="failed"}`)
/// and tried again at a later commit (not before `retryAfterFailureSeconds`); it never stops
/// the partition. How far the newest stored snapshot is behind the shard is
/// `behindMilliseconds` (`loyalty_worker_snapshot_behind_seconds`): a store that keeps failing
/// shows there, before a hand-over has to replay what no snapshot covers.
package final class WorkerSnapshots: Sendable {
    package let store: any SnapshotStore
    let configuration: WorkerConfiguration
    let logger: Logger
    let metrics: WorkerMetrics?
    private let shards = Mutex<[Int32: ShardSchedule]>([:])
    /// Snapshot threads running, for `waitForRunning`.
    private let running = DispatchGroup()

    /// A shard's schedule. `takenAt` is when its last snapshot started (or when the worker
    /// took the partition); `coveredOffset` the offset the newest stored snapshot covers,
    /// and `coveredAtMilliseconds` (wall clock) when that snapshot started (when the worker
    /// took the partition, if the store has none).
    struct ShardSchedule {
        var sealedSince = 0
        var takenAt = ContinuousClock.now
        var coveredOffset: Int64 = -1
        var coveredAtMilliseconds = WorkerSnapshots.wallMilliseconds()
        var inFlight = false
        var failedAt: ContinuousClock.Instant?
    }

    /// A failed snapshot is tried again at a commit at least this long after the failure.
    static let retryAfterFailureSeconds = 30

    /// nil when snapshots are off (`snapshotDirectory` nil); throws if the store cannot be
    /// used (the directory cannot be created or is not writable).
    /// `metrics`: where stored and failed snapshots are counted.
    package init?(configuration: WorkerConfiguration, logger: Logger, metrics: WorkerMetrics? = nil) throws(SnapshotStoreError) {
        guard let directory = configuration.snapshotDirectory else { return nil }
        store = try DirectorySnapshotStore(root: directory)
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    /// Called on the loop thread after `partition`'s batch up to `nextOffset` committed,
    /// with how many cycles it sealed: starts a snapshot if one is due and none is running.
    package func committed(partition: Int32, sealedCycles: Int, nextOffset: Int64) {
        let now = ContinuousClock.now
        let due = shards.withLock { shards -> Bool in
            var schedule = shards[partition] ?? ShardSchedule()
            defer { shards[partition] = schedule }
            schedule.sealedSince += sealedCycles
            guard !schedule.inFlight, nextOffset > schedule.coveredOffset else { return false }
            if let failedAt = schedule.failedAt, now - failedAt < .seconds(Self.retryAfterFailureSeconds) { return false }
            let bySeals = configuration.snapshotEveryCycles > 0 && schedule.sealedSince >= configuration.snapshotEveryCycles
            let byTime = configuration.snapshotEverySeconds > 0 && now - schedule.takenAt >= .seconds(configuration.snapshotEverySeconds)
            guard bySeals || byTime else { return false }
            schedule.inFlight = true
            schedule.sealedSince = 0
            schedule.takenAt = now
            return true
        }
        guard due else { return }
        running.enter()
        let thread = Thread { [self] in
            defer { running.leave() }
            take(partition)
        }
        thread.name = "loyalty-snapshot-\(partition)"
        thread.start()
    }

    /// Takes one snapshot of `partition` now, on the calling thread, and prunes the old
    /// ones. For the background threads, `loyalty ledger snapshot` and benchmarks.
    @discardableResult
    package func take(_ partition: Int32) -> SnapshotManifest? {
        let started = ContinuousClock.now
        let startedAtMilliseconds = Self.wallMilliseconds()
        do {
            let manifest = try Self.snapshot(
                shardPath: configuration.shardPath(partition: partition), partition: partition,
                staging: Self.stagingPath(dataDirectory: configuration.dataDirectory, partition: partition), into: store)
            let pruned = (try? store.prune(partition: partition, keep: configuration.snapshotsKept)) ?? 0
            finished(partition, covering: manifest.nextOffset, startedAtMilliseconds: startedAtMilliseconds)
            logger.info(
                "shard snapshot stored",
                metadata: [
                    LogKey.partition: "\(partition)", LogKey.offset: "\(manifest.nextOffset)", "key": "\(manifest.dataKey)",
                    "bytes": "\(manifest.bytes)", "seconds": "\(Self.seconds(since: started))", "pruned": "\(pruned)",
                ])
            return manifest
        } catch {
            finished(partition, covering: nil, startedAtMilliseconds: startedAtMilliseconds)
            logger.error(
                "shard snapshot failed; the partition goes on, the snapshot is tried again later",
                metadata: [LogKey.partition: "\(partition)", LogKey.error: "\(error)", "store": "\(store)"])
            return nil
        }
    }

    /// Copies the shard at `shardPath` into `staging` (a leftover of a killed attempt is
    /// removed first), stores it as a snapshot, and removes `staging`.
    package static func snapshot(shardPath: String, partition: Int32, staging: String, into store: any SnapshotStore) throws -> SnapshotManifest {
        unlink(staging)
        defer { unlink(staging) }
        let copy = try Shard.snapshot(shardPath: shardPath, partition: partition, to: staging)
        return try store.putSnapshot(file: staging, partition: partition, nextOffset: copy.nextOffset, lastSealedCycle: copy.lastSealedCycle)
    }

    /// Where a shard's copy is made before it goes into the store: hidden, beside the shard.
    package static func stagingPath(dataDirectory: String, partition: Int32) -> String {
        let shard = WorkerConfiguration.shardPath(dataDirectory: dataDirectory, partition: partition)
        return dataDirectory + "/." + (shard as NSString).lastPathComponent + ".snapshot"
    }

    private func finished(_ partition: Int32, covering offset: Int64?, startedAtMilliseconds: Int64) {
        shards.withLock { shards in
            var schedule = shards[partition] ?? ShardSchedule()
            schedule.inFlight = false
            if let offset {
                if offset > schedule.coveredOffset {
                    schedule.coveredOffset = offset
                    schedule.coveredAtMilliseconds = startedAtMilliseconds
                }
                schedule.failedAt = nil
            } else {
                schedule.failedAt = .now
            }
            shards[partition] = schedule
        }
        metrics?.snapshotFinished(partition: partition, stored: offset != nil)
    }

    /// How long `partition`'s newest stored snapshot has been behind its shard, whose next
    /// offset is `nextOffset`: 0 when it covers every applied record, else the milliseconds
    /// since it started (since the worker took the partition, when the store has none).
    /// nil: the partition is not scheduled here.
    package func behindMilliseconds(partition: Int32, nextOffset: Int64, nowMilliseconds: Int64 = wallMilliseconds()) -> Int64? {
        shards.withLock { shards in
            guard let schedule = shards[partition] else { return nil }
            return schedule.coveredOffset >= nextOffset ? 0 : max(0, nowMilliseconds - schedule.coveredAtMilliseconds)
        }
    }

    package static func wallMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

    /// A partition taken without its shard file: restores the newest complete snapshot
    /// into `path`; nil (nothing written) if there is none or the store cannot be read,
    /// and then the partition is replayed from offset 0 as without snapshots.
    package func restore(partition: Int32, to path: String) -> SnapshotManifest? {
        let started = ContinuousClock.now
        do {
            guard let (manifest, skipped) = try store.restoreNewest(partition: partition, to: path) else {
                logger.info(
                    "no snapshot of the partition in the store; replaying its log from offset 0",
                    metadata: [LogKey.partition: "\(partition)", "store": "\(store)"])
                return nil
            }
            for damaged in skipped {
                logger.warning("damaged snapshot skipped", metadata: [LogKey.partition: "\(partition)", LogKey.reason: "\(damaged)"])
            }
            shards.withLock {
                $0[partition] = ShardSchedule(coveredOffset: manifest.nextOffset, coveredAtMilliseconds: manifest.createdAtMilliseconds)
            }
            logger.info(
                "shard restored from a snapshot; replaying only the log after it",
                metadata: [
                    LogKey.partition: "\(partition)", LogKey.offset: "\(manifest.nextOffset)", "key": "\(manifest.dataKey)",
                    "bytes": "\(manifest.bytes)", "seconds": "\(Self.seconds(since: started))",
                ])
            return manifest
        } catch {
            logger.error(
                "cannot restore a snapshot; replaying the partition's log from offset 0",
                metadata: [LogKey.partition: "\(partition)", LogKey.error: "\(error)", "store": "\(store)"])
            return nil
        }
    }

    /// A partition taken with its shard file: its schedule starts now, from the newest
    /// snapshot the store already holds (a restarted worker neither copies what is covered
    /// again nor forgets how far behind the store is).
    package func assigned(partition: Int32) {
        var schedule = ShardSchedule()
        do throws(SnapshotStoreError) {
            if let newest = try store.newest(partition: partition) {
                schedule.coveredOffset = newest.nextOffset
                schedule.coveredAtMilliseconds = newest.createdAtMilliseconds
            }
        } catch {
            logger.warning(
                "cannot list the partition's snapshots; counting how far they are behind from now",
                metadata: [LogKey.partition: "\(partition)", LogKey.error: "\(error)", "store": "\(store)"])
        }
        shards.withLock { shards in
            if shards[partition]?.inFlight == true { return }
            shards[partition] = schedule
        }
    }

    /// Blocks until every snapshot started has finished (shutdown).
    package func waitForRunning() { running.wait() }

    static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        let value = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return String(format: "%.3f", value)
    }
}
