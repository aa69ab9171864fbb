import Dispatch
import NodeRuntime
import Programme
import Prometheus
import Synchronization

/// The worker's Prometheus metrics and the state its `/ready` answer is made of
/// (docs/operations.md, "Metrics and health"), on a registry of its own (no global
/// bootstrap, so several workers can live in one test process).
///
/// The loop counts per partition through a `Partition` made once when it first sees the
/// partition (no label strings per record), records the histograms once per batch, and
/// sets the gauges (lag, shard file size, queue depth) at most once a second.
public final class WorkerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let batchSize: ValueHistogram
    let applyLatency: DurationHistogram
    let assignedPartitions: Gauge
    /// Assigned partitions stopped (a shard fault, or paused on a programme version).
    let stoppedPartitions: Gauge
    let producerQueueDepth: Gauge
    let deliveryErrors: Counter
    /// The partitions as the loop last saw them, and when (monotonic nanoseconds).
    private let health = Mutex<(partitions: [Int32: PartitionHealth]?, atNanoseconds: UInt64)>((nil, 0))
    /// A loop that has not looked for this long is busy with one round (a batch that cannot
    /// be published while Kafka is unreachable is retried in place): not ready. A full round
    /// takes seconds.
    public static let staleAfterSeconds: UInt64 = 120

    static let namespace = "loyalty_worker"

    /// One partition's series.
    final class Partition: Sendable {
        let consumed: Counter
        let applied: Counter
        let deadLettered: Counter
        let positionsPublished: Counter
        let rejected: [RejectReason: Counter]
        let lag: Gauge
        let shardFileBytes: Gauge
        let shardWALBytes: Gauge
        let commitCheckpoints: Counter
        let hotCycles: Gauge
        let archiveOverdueCycles: Gauge
        let archiveAgeSeconds: Gauge
        /// nil when the worker takes no snapshots.
        let snapshotBehindSeconds: Gauge?

        init(_ registry: PrometheusCollectorRegistry, partition: Int32, snapshots: Bool) {
            let label = [("partition", String(partition))]
            func counter(_ name: String, _ help: String) -> Counter {
                registry.makeCounter(
                    descriptor: .init(namespace: WorkerMetrics.namespace, metricName: name, unitName: "total", helpText: help), labels: label)
            }
            consumed = counter("consumed", "Records read from Kafka.")
            applied = counter("applied", "Transactions applied to the shard (any outcome), counted once their batch committed.")
            deadLettered = counter("dead_lettered", "Records sent to the dead-letter topic.")
            positionsPublished = counter("positions_published", "Barrier positions published.")
            commitCheckpoints = counter(
                "commit_checkpoints",
                "WAL checkpoints the shard's writer took inside a COMMIT (its backstop): the round waited for the copy and two fsyncs.")
            var rejected: [RejectReason: Counter] = [:]
            for reason in RejectReason.allCases {
                rejected[reason] = registry.makeCounter(
                    descriptor: .init(
                        namespace: WorkerMetrics.namespace, metricName: "rejected", unitName: "total",
                        helpText: "Transactions refused, by wire reason code."),
                    labels: label + [("reason", reason.rawValue)])
            }
            self.rejected = rejected
            lag = registry.makeGauge(
                descriptor: .init(
                    namespace: WorkerMetrics.namespace, metricName: "consumer_lag", unitName: "",
                    helpText: "High watermark minus the next offset to apply."), labels: label)
            shardFileBytes = registry.makeGauge(
                descriptor: .init(
                    namespace: WorkerMetrics.namespace, metricName: "shard_file", unitName: "bytes",
                    helpText: "Shard file plus its WAL."), labels: label)
            shardWALBytes = registry.makeGauge(
                descriptor: .init(
                    namespace: WorkerMetrics.namespace, metricName: "shard_wal", unitName: "bytes",
                    helpText: "What the shard's WAL holds after its last COMMIT (the WAL file is kept at up to 128 MiB, so its size is not this)."),
                labels: label)
            func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
                registry.makeGauge(
                    descriptor: .init(namespace: WorkerMetrics.namespace, metricName: name, unitName: unit, helpText: help), labels: label)
            }
            hotCycles = gauge("hot_cycles", "", "Sealed cycles whose rows are still in the shard's hot tables (set at each seal).")
            archiveOverdueCycles = gauge(
                "archive_overdue_cycles", "",
                "Hot sealed cycles the last archive step would have taken by their close time and did not: held by a row dated after its cycle's close, or waiting behind one."
            )
            archiveAgeSeconds = gauge(
                "archive_age", "seconds",
                "The programme's archive age: the longer of the idempotency horizon and the reversal window (0: nothing is archived).")
            if snapshots {
                snapshotBehindSeconds = gauge(
                    "snapshot_behind", "seconds",
                    "0 while the newest stored snapshot covers every applied record, else seconds since it was taken (since the partition was taken, without one)."
                )
                for stored in [true, false] { _ = WorkerMetrics.snapshotCounter(registry, partition: partition, stored: stored) }
            } else {
                snapshotBehindSeconds = nil
            }
        }

        /// Gauges the loop sets (dropped when the partition leaves).
        var gauges: [Gauge] {
            [lag, shardFileBytes, shardWALBytes, hotCycles, archiveOverdueCycles, archiveAgeSeconds] + (snapshotBehindSeconds.map { [$0] } ?? [])
        }
    }

    /// `loyalty_worker_snapshots_total{partition,result}`: made on first use, by the loop or
    /// a snapshot thread (the registry gives the same counter for the same labels).
    static func snapshotCounter(_ registry: PrometheusCollectorRegistry, partition: Int32, stored: Bool) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                namespace: namespace, metricName: "snapshots", unitName: "total",
                helpText: "Shard snapshots finished, by result: stored in the snapshot store, or failed (logged, tried again later)."),
            labels: [("partition", String(partition)), ("result", stored ? "stored" : "failed")])
    }

    func snapshotFinished(partition: Int32, stored: Bool) {
        Self.snapshotCounter(registry, partition: partition, stored: stored).increment()
    }

    /// What `/ready` knows of an assigned partition.
    public enum PartitionHealth: Sendable, Equatable {
        case lag(Int64)
        /// No fetch response has told the end offset yet.
        case unknownEnd
        case stopped(String)
    }

    public init() {
        batchSize = registry.makeValueHistogram(
            descriptor: .init(namespace: Self.namespace, metricName: "batch_size", unitName: "", helpText: "Records per SQL transaction."),
            buckets: [1, 10, 50, 100, 500, 1_000, 2_500, 5_000, 10_000, 20_000])
        applyLatency = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: Self.namespace, metricName: "apply_latency", unitName: "seconds",
                helpText: "Time to apply one batch: decode, SQL, publish and acks, COMMIT."),
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
            ])
        assignedPartitions = registry.makeGauge(
            descriptor: .init(
                namespace: Self.namespace, metricName: "assigned_partitions", unitName: "", helpText: "Partitions assigned to this worker."))
        stoppedPartitions = registry.makeGauge(
            descriptor: .init(
                namespace: Self.namespace, metricName: "stopped_partitions", unitName: "",
                helpText: "Assigned partitions stopped: a shard that cannot be written, or paused on a programme version it cannot load (see /ready)."
            ))
        producerQueueDepth = registry.makeGauge(
            descriptor: .init(
                namespace: Self.namespace, metricName: "producer_queue_depth", unitName: "",
                helpText: "Records and requests in the producer's out queue."))
        deliveryErrors = registry.makeCounter(
            descriptor: .init(
                namespace: Self.namespace, metricName: "delivery_errors", unitName: "total", helpText: "Output records whose delivery failed."))
    }

    func partition(_ partition: Int32, snapshots: Bool) -> Partition { Partition(registry, partition: partition, snapshots: snapshots) }

    /// Drops a partition's gauges once it is no longer assigned (its counters stay).
    func forget(_ series: Partition) {
        for gauge in series.gauges { registry.unregisterGauge(gauge) }
    }

    func publish(_ partitions: [Int32: PartitionHealth]) {
        let now = DispatchTime.now().uptimeNanoseconds
        health.withLock { $0 = (partitions, now) }
    }

    /// The partitions as the loop last saw them; nil before it first looked.
    public var partitions: [Int32: PartitionHealth]? { health.withLock { $0.partitions } }

    public var text: String { registry.emitToString() }

    /// `/ready` of this worker now (`readiness(_:maxLag:lookAgeSeconds:)` of the last look, unless that look
    /// is older than `staleAfterSeconds`).
    public func readiness(maxLag: Int64) -> ProbeAnswer {
        let (partitions, at) = health.withLock { $0 }
        return Self.readiness(partitions, maxLag: maxLag, lookAgeSeconds: (DispatchTime.now().uptimeNanoseconds - at) / 1_000_000_000)
    }

    /// `/ready` of a worker: at least one partition held, none stopped, every one's end
    /// known and its lag at most `maxLag`, as seen by a look at most `staleAfterSeconds` old.
    public static func readiness(_ partitions: [Int32: PartitionHealth]?, maxLag: Int64, lookAgeSeconds: UInt64 = 0) -> ProbeAnswer {
        if partitions != nil, lookAgeSeconds > staleAfterSeconds {
            return .down(
                "the worker loop has not looked at its partitions for \(lookAgeSeconds) s (one round stuck, e.g. publishing; see the log)")
        }
        guard let partitions, !partitions.isEmpty else { return .down("no partition assigned yet") }
        var worst: Int64 = 0
        for partition in partitions.keys.sorted() {
            switch partitions[partition]! {
            case .stopped(let reason): return .down("partition \(partition) stopped: \(reason)")
            case .unknownEnd: return .down("partition \(partition): end offset not known yet")
            case .lag(let lag) where lag > maxLag: return .down("partition \(partition): lag \(lag) > \(maxLag) (--ready-max-lag)")
            case .lag(let lag): worst = max(worst, lag)
            }
        }
        return .up("\(partitions.count) partitions assigned, highest lag \(worst)")
    }
}
