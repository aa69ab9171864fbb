import Foundation
import LoyaltyWire

/// Settings of an accrual worker. Defaults suit the embedded mock cluster; production
/// passes SASL/TLS settings through `kafkaExtra`.
public struct WorkerConfiguration: Sendable {
    public var bootstrapServers: String
    /// Directory holding one `shard-NNNN.sqlite` per partition this worker owns.
    public var dataDirectory: String
    public var groupId = "loyalty-accrual"
    public var clientId = "loyalty-worker"
    public var topics = Topics()
    /// Upper bound of records applied in one SQL transaction per poll.
    public var maxBatchRecords = WorkerConfiguration.defaultMaxBatchRecords
    public var pollTimeoutMilliseconds = 100
    /// How long a batch waits for Kafka to acknowledge its results before retrying.
    public var publishTimeoutMilliseconds = 30_000
    /// Short, so that a group recovers quickly after a worker dies (mock default: > 50 s).
    public var sessionTimeoutMilliseconds = 6_000
    /// Publish results, positions and dead letters. Off for `ledger rebuild`, which
    /// replays history and must not announce it again.
    public var publishOutputs = true
    /// Directory (a shared volume or an object-store mount) where shard snapshots are kept;
    /// nil: no snapshots, and a partition assigned without its shard file is replayed from
    /// offset 0 (docs/operations.md, "Snapshots and hand-over").
    public var snapshotDirectory: String?
    /// Root of the shards' archive directories (`<root>/partition-NNNN`); nil: beside the
    /// shard files, `<dataDirectory>/archive`. Durable storage: part of the ledger.
    public var archiveDirectory: String?
    /// Snapshot a shard once this many cycles were sealed in it since its last snapshot
    /// (0: not on seals).
    public var snapshotEveryCycles = WorkerConfiguration.defaultSnapshotEveryCycles
    /// Snapshot a shard once this many seconds passed since its last snapshot (or since the
    /// worker took it), sealed cycles or not, so the tail a hand-over replays stays short
    /// when cycles are long (0: not by time). Checked after each committed batch.
    public var snapshotEverySeconds = WorkerConfiguration.defaultSnapshotEverySeconds
    /// Snapshots kept per partition; older ones are deleted after each new one.
    public var snapshotsKept = WorkerConfiguration.defaultSnapshotsKept
    /// Exit (successfully) once every assigned partition is applied up to its end, or to
    /// `stopOffsets` where given. For batch runs, tests and rebuilds.
    public var exitWhenCaughtUp = false
    /// Apply each listed partition only up to (excluding) this offset. Partitions not
    /// listed are left alone when the map is non-empty.
    public var stopOffsets: [Int32: Int64] = [:]
    /// Linger of the results producer. A round enqueues all its results at once and then
    /// waits for their acks before committing, so lingering delays every round (and every
    /// `wait=true` answer) by up to its length; without it a busy worker sends more, smaller
    /// requests (`loyalty bench worker`, 3 paired runs: 5 ms used ~5 % less CPU than 0).
    /// Latency-sensitive deployments set 0 (docs/operations.md).
    public var resultsLingerMilliseconds = WorkerConfiguration.defaultResultsLingerMilliseconds
    /// `fetch.wait.max.ms` of the consumer; nil keeps librdkafka's default (500 ms). Only
    /// the embedded mock cluster needs it short (docs/operations.md).
    public var fetchWaitMilliseconds: Int?
    /// Threads applying shards at once (each shard is its own SQLite file); nil: one per
    /// core this process sees. Set it to the container's CPU limit: a cgroup limit does
    /// not change the core count a process sees.
    public var applyThreads: Int?
    /// Extra librdkafka settings for both the consumer and the producer.
    public var kafkaExtra: [String: String] = [:]
    /// Told every round's timings, on the loop thread (`loyalty bench gateway`); nil: no
    /// round is timed.
    public var roundObserver: (@Sendable (RoundTiming) -> Void)?

    public static let defaultMaxBatchRecords = 10_000
    public static let defaultResultsLingerMilliseconds = 5
    public static let defaultSnapshotEveryCycles = 1
    public static let defaultSnapshotEverySeconds = 900
    public static let defaultSnapshotsKept = 3
    /// Most apply threads: a round opens at most this many shards' SQL transactions.
    public static let maxApplyThreads = 16

    /// `applyThreads`, or one per core, within 1...maxApplyThreads.
    public var effectiveApplyThreads: Int { Self.applyThreads(requested: applyThreads) }

    /// The apply threads for a request (nil: one per core seen), within 1...maxApplyThreads.
    public static func applyThreads(requested: Int?) -> Int {
        max(1, min(maxApplyThreads, requested ?? ProcessInfo.processInfo.activeProcessorCount))
    }

    public init(bootstrapServers: String, dataDirectory: String) {
        self.bootstrapServers = bootstrapServers
        self.dataDirectory = dataDirectory
    }

    /// Path of the shard file for `partition`.
    public func shardPath(partition: Int32) -> String {
        Self.shardPath(dataDirectory: dataDirectory, partition: partition)
    }

    public static func shardPath(dataDirectory: String, partition: Int32) -> String {
        let digits = String(partition)
        let padded = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return "\(dataDirectory)/shard-\(padded).sqlite"
    }
}
