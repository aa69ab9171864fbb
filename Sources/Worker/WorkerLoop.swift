import Foundation
import Kafka
import Ledger
import Logging
import LoyaltyWire
import Programme
import Prometheus
import Synchronization

/// The accrual worker's loop: poll a batch, apply each partition's records to its shard
/// in one SQL transaction, publish the outputs before that transaction commits.
///
/// Runs on one dedicated thread: every call in here blocks (librdkafka polls, SQLite
/// writes, waiting for Kafka's acks), and rebalance callbacks arrive on this same
/// thread inside `poll`, so shards need no locking.
///
/// Why publish before commit: if the process dies after Kafka acknowledged the results
/// but before the commit, the batch is applied again on restart and the same results
/// are published again (identical bytes; at-least-once). The other order could lose
/// results for good. The ledger itself changes exactly once: its offset is committed in
/// the same SQL transaction as its rows.
///
/// This file holds the loop and a partition's life (stop, pause, caught up); the round's
/// selection and decoding are in WorkerLoop+Round, applying and publishing it in
/// WorkerLoop+Publish, rebalance callbacks in WorkerLoop+Rebalance.
package final class WorkerLoop: RebalanceListener {
    enum Slot {
        case open(Shard, nextOffset: Int64)
        case stopped(reason: String)
    }

    let configuration: WorkerConfiguration
    let programme: Programme
    /// Threads applying a round's shards at once (`WorkerConfiguration.applyThreads`).
    let applyThreads: Int
    // The loop's state: touched on its thread only (rebalance callbacks run inside poll).
    var slots: [Int32: Slot] = [:]
    var pendingPause: [TopicPartition] = []
    /// Partitions that delivered records since they were (last) assigned: their cached
    /// end offsets come from a fetch made since then (see `caughtUp`).
    var fetchedSinceAssignment: Set<Int32> = []
    var consumer: KafkaConsumer?
    let producer: KafkaProducer?
    /// Shard snapshots (WorkerLoop+Snapshots); nil when off.
    let snapshots: WorkerSnapshots?
    /// WAL checkpoints, off this thread (WALCheckpoints).
    let checkpoints: WALCheckpoints
    let logger: Logger
    let progress: WorkerProgress
    let stopRequested: StopFlag
    /// Metrics and readiness (WorkerLoop+Round counts, `observeIfDue` sets the gauges).
    let metrics: WorkerMetrics
    var partitionSeries: [Int32: WorkerMetrics.Partition] = [:]
    var nextObservationNanoseconds: UInt64 = 0
    /// Offsets last committed to Kafka (a monitoring hint), and whether a batch committed since.
    var committedOffsets: [Int32: Int64] = [:]
    var commitDue = false
    var lastCommitNanoseconds: UInt64 = 0
    var deliveryErrorsSeen: Int64 = 0

    /// Back-off between attempts to publish a batch while Kafka is unreachable.
    static let publishRetryMilliseconds: [Int] = [100, 250, 500, 1_000, 2_000, 5_000]

    init(
        configuration: WorkerConfiguration,
        programme: Programme,
        logger: Logger,
        progress: WorkerProgress,
        stopRequested: StopFlag,
        metrics: WorkerMetrics
    ) throws {
        self.configuration = configuration
        self.metrics = metrics
        applyThreads = configuration.effectiveApplyThreads
        self.programme = programme
        self.logger = logger
        self.progress = progress
        self.stopRequested = stopRequested
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true
        )
        snapshots = try WorkerSnapshots(configuration: configuration, logger: logger, metrics: metrics)
        checkpoints = WALCheckpoints(logger: logger)
        if configuration.publishOutputs {
            var producerConfiguration = ProducerConfiguration(bootstrapServers: configuration.bootstrapServers)
            producerConfiguration.clientId = configuration.clientId
            producerConfiguration.lingerMilliseconds = configuration.resultsLingerMilliseconds
            producerConfiguration.extra = configuration.kafkaExtra
            producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        } else {
            producer = nil
        }
    }

    func run() throws {
        var consumerConfiguration = ConsumerConfiguration(
            bootstrapServers: configuration.bootstrapServers,
            groupId: configuration.groupId,
            topics: [configuration.topics.transactions]
        )
        consumerConfiguration.clientId = configuration.clientId
        consumerConfiguration.sessionTimeoutMilliseconds = configuration.sessionTimeoutMilliseconds
        consumerConfiguration.fetchWaitMilliseconds = configuration.fetchWaitMilliseconds
        consumerConfiguration.extra = configuration.kafkaExtra
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, listener: self, logger: logger)
        self.consumer = consumer
        defer { shutDown() }
        warmUpProducer()

        while !stopRequested.flag.load(ordering: .relaxed) {
            let pollStarted = ContinuousClock.now
            var records = try consumer.poll(
                maxRecords: configuration.maxBatchRecords,
                timeoutMilliseconds: configuration.pollTimeoutMilliseconds
            )
            // A poll spreads over every partition; take what is already fetched (no waiting)
            // up to one batch per open shard, so each shard's SQL transaction stays full and
            // one wait for Kafka's acks serves all of them.
            let budget = configuration.maxBatchRecords * max(1, min(slots.count, Self.maxShardsPerRound))
            while !records.isEmpty, records.count < budget {
                let more = try consumer.poll(maxRecords: budget - records.count, timeoutMilliseconds: 0)
                if more.isEmpty { break }
                records += more
            }
            try pausePendingPartitions()
            observeIfDue()
            if records.isEmpty {
                if configuration.exitWhenCaughtUp, try caughtUp() { break }
                continue
            }
            try process(Self.groupedByPartition(records), pollStarted: pollStarted)
        }
    }

    /// Asks for the results topic's metadata while the consumer joins its group:
    /// otherwise the first round's results waited about a second (a metadata round trip
    /// and the idempotent producer's set-up) with every shard's transaction open.
    /// Best effort: without brokers, the first round waits as it would have.
    func warmUpProducer() {
        guard let producer else { return }
        do {
            _ = try producer.partitionCount(topic: configuration.topics.results, timeoutMilliseconds: 2_000)
        } catch {
            logger.debug("results topic metadata not available yet", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// A shard fault: stop the partition and stop fetching it. A programme version the
    /// shard cannot use pauses it the same way: nothing from that message on is applied by
    /// the old rules, and a worker whose binary can load it resumes there.
    func fail(_ partition: Int32, _ error: Error) {
        if let refused = error as? LedgerError, refused.code == .programmeVersion {
            stop(partition, reason: "paused on a programme version: \(refused.message)")
        } else {
            stop(partition, reason: "shard \(configuration.shardPath(partition: partition)) cannot be written: \(error)")
        }
        if let consumer {
            do {
                try consumer.pause([TopicPartition(topic: configuration.topics.transactions, partition: partition)])
            } catch {
                pendingPause.append(TopicPartition(topic: configuration.topics.transactions, partition: partition))
            }
        }
    }

    // MARK: - Helpers

    func stop(_ partition: Int32, reason: String) {
        if case .open(let shard, _) = slots[partition] { shard.close() }
        slots[partition] = .stopped(reason: reason)
        progress.failed(partition, reason: reason)
        logger.error(
            "partition stopped: no further records of it are applied until this is repaired",
            metadata: [LogKey.partition: "\(partition)", LogKey.reason: "\(reason)"]
        )
    }

    func pausePendingPartitions() throws {
        guard let consumer, !pendingPause.isEmpty else { return }
        try consumer.pause(pendingPause)
        pendingPause.removeAll()
    }

    /// True when every open shard has applied its partition to the end (or to its stop
    /// offset), so a batch run can exit: everything written before this worker started is
    /// applied.
    ///
    /// For a partition that delivered records since it was assigned, the end comes from
    /// the last fetch response (no round trip; that fetch was made after the assignment, so
    /// its end is at least the end when this worker took the partition). Asking the broker
    /// waits behind the connection's outstanding fetch: it took 4.5 s for 16 partitions on
    /// the mock cluster, after every batch run. Other partitions still ask.
    func caughtUp() throws -> Bool {
        guard let consumer, !slots.isEmpty else { return false }
        for (partition, slot) in slots {
            guard case .open(_, let next) = slot else { continue }
            let topicPartition = TopicPartition(topic: configuration.topics.transactions, partition: partition)
            let end: Int64
            if let stop = configuration.stopOffsets[partition] {
                end = stop
            } else if fetchedSinceAssignment.contains(partition), let fetched = consumer.cachedHighWatermark(topicPartition) {
                end = fetched
            } else {
                end = try consumer.highWatermark(topicPartition, timeoutMilliseconds: 5_000)
            }
            if next < end { return false }
        }
        return true
    }

    func shutDown() {
        commitAppliedOffsets()
        consumer?.close()
        consumer = nil
        for case .open(let shard, _) in slots.values { shard.close() }
        slots.removeAll()
        snapshots?.waitForRunning()
        checkpoints.drain()
        if let producer {
            try? producer.flush(timeoutMilliseconds: 10_000)
            producer.shutdown()
        }
    }

    // MARK: - Observing (at most once a second) and offsets committed as a monitoring hint

    static let observeIntervalNanoseconds: UInt64 = 1_000_000_000
    /// At most one asynchronous offset commit per this interval: a commit per round of a
    /// `wait=true` trickle would be a request to the group coordinator per transaction.
    static let commitIntervalNanoseconds: UInt64 = 100_000_000

    /// The series of `partition`, made the first time the loop sees it.
    func series(_ partition: Int32) -> WorkerMetrics.Partition {
        if let known = partitionSeries[partition] { return known }
        let made = metrics.partition(partition, snapshots: snapshots != nil)
        partitionSeries[partition] = made
        return made
    }

    /// Cheap when nothing is due (one clock read): commits applied offsets to Kafka at most
    /// every 100 ms, and once a second sets the gauges and the readiness state.
    func observeIfDue() {
        let now = DispatchTime.now().uptimeNanoseconds
        if commitDue, now >= lastCommitNanoseconds + Self.commitIntervalNanoseconds {
            lastCommitNanoseconds = now
            commitAppliedOffsets()
        }
        guard now >= nextObservationNanoseconds else { return }
        nextObservationNanoseconds = now + Self.observeIntervalNanoseconds
        observe()
    }

    /// Commits each open shard's next offset that Kafka does not have yet, asynchronously.
    /// A hint for lag tools only: assignment always seeks to the shard's own offset.
    func commitAppliedOffsets() {
        commitDue = false
        guard let consumer else { return }
        var offsets: [TopicPartition: Int64] = [:]
        for case (let partition, .open(_, let next)) in slots where committedOffsets[partition] != next {
            offsets[TopicPartition(topic: configuration.topics.transactions, partition: partition)] = next
            committedOffsets[partition] = next
        }
        consumer.commit(offsets)
    }

    /// Lag (from the end offset the last fetch response gave, no round trip), shard file
    /// sizes, assignment, producer figures; then the readiness state.
    func observe() {
        var health: [Int32: WorkerMetrics.PartitionHealth] = [:]
        for (partition, slot) in slots {
            let partitionMetrics = series(partition)
            switch slot {
            case .open(let shard, let next):
                partitionMetrics.shardWALBytes.set(shard.walBytes)
                if let behind = partitionMetrics.snapshotBehindSeconds,
                    let milliseconds = snapshots?.behindMilliseconds(partition: partition, nextOffset: next)
                {
                    behind.set(milliseconds / 1_000)
                }
                let commitCheckpoints = shard.takeCommitCheckpoints()
                if commitCheckpoints > 0 { partitionMetrics.commitCheckpoints.increment(by: Int64(commitCheckpoints)) }
                let topicPartition = TopicPartition(topic: configuration.topics.transactions, partition: partition)
                if let end = consumer?.cachedHighWatermark(topicPartition) {
                    let lag = max(0, end - next)
                    partitionMetrics.lag.set(lag)
                    health[partition] = .lag(lag)
                } else {
                    health[partition] = .unknownEnd
                }
            case .stopped(let reason):
                health[partition] = .stopped(reason)
            }
            let path = configuration.shardPath(partition: partition)
            partitionMetrics.shardFileBytes.set(Self.fileBytes(path) + Self.fileBytes(path + "-wal"))
        }
        for (partition, gone) in partitionSeries where slots[partition] == nil {
            metrics.forget(gone)
            partitionSeries[partition] = nil
            committedOffsets[partition] = nil
        }
        metrics.assignedPartitions.set(Int64(slots.count))
        metrics.stoppedPartitions.set(Int64(health.values.filter { if case .stopped = $0 { true } else { false } }.count))
        if let producer {
            metrics.producerQueueDepth.set(Int64(producer.queueLength))
            let errors = producer.deliveryErrors
            if errors > deliveryErrorsSeen { metrics.deliveryErrors.increment(by: errors - deliveryErrorsSeen) }
            deliveryErrorsSeen = errors
        }
        metrics.publish(health)
    }

    static func fileBytes(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func groupedByPartition(_ records: [ConsumerRecord]) -> [(Int32, [ConsumerRecord])] {
        var order: [Int32] = []
        var groups: [Int32: [ConsumerRecord]] = [:]
        for record in records {
            if groups[record.partition] == nil { order.append(record.partition) }
            groups[record.partition, default: []].append(record)
        }
        return order.map { ($0, groups[$0]!) }
    }
}
