import Foundation
import Kafka
import Ledger
import Logging
import LoyaltyWire
import Programme
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
final class WorkerLoop: RebalanceListener {
    private enum Slot {
        case open(Shard, nextOffset: Int64)
        case stopped(reason: String)
    }

    private let configuration: WorkerConfiguration
    private let programme: Programme
    private let logger: Logger
    private let progress: WorkerProgress
    private let stopRequested: StopFlag
    private var slots: [Int32: Slot] = [:]
    private var pendingPause: [TopicPartition] = []
    private var consumer: KafkaConsumer?
    private let producer: KafkaProducer?

    /// Back-off between attempts to publish a batch while Kafka is unreachable.
    static let publishRetryMilliseconds: [Int] = [100, 250, 500, 1_000, 2_000, 5_000]

    init(
        configuration: WorkerConfiguration,
        programme: Programme,
        logger: Logger,
        progress: WorkerProgress,
        stopRequested: StopFlag
    ) throws {
        self.configuration = configuration
        self.programme = programme
        self.logger = logger
        self.progress = progress
        self.stopRequested = stopRequested
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true
        )
        if configuration.publishOutputs {
            var producerConfiguration = ProducerConfiguration(bootstrapServers: configuration.bootstrapServers)
            producerConfiguration.clientId = configuration.clientId
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
        consumerConfiguration.extra = configuration.kafkaExtra
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, listener: self, logger: logger)
        self.consumer = consumer
        defer { shutDown() }

        while !stopRequested.flag.load(ordering: .relaxed) {
            let records = try consumer.poll(
                maxRecords: configuration.maxBatchRecords,
                timeoutMilliseconds: configuration.pollTimeoutMilliseconds
            )
            try pausePendingPartitions()
            if records.isEmpty {
                if configuration.exitWhenCaughtUp, try caughtUp() { break }
                continue
            }
            for (partition, group) in Self.groupedByPartition(records) {
                try process(partition: partition, records: group)
            }
        }
    }

    // MARK: - Rebalance (called on this thread, inside poll)

    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for topicPartition in partitions where topicPartition.topic == configuration.topics.transactions {
            let partition = topicPartition.partition
            if !configuration.stopOffsets.isEmpty, configuration.stopOffsets[partition] == nil {
                pendingPause.append(topicPartition)
                continue
            }
            let path = configuration.shardPath(partition: partition)
            do {
                let shard = try Shard(path: path, partition: partition, programme: programme)
                let next = try shard.nextOffset()
                slots[partition] = .open(shard, nextOffset: next)
                offsets[topicPartition] = next
                progress.assigned(partition, nextOffset: next)
                logger.info(
                    "partition assigned; resuming from the offset stored in its shard",
                    metadata: [LogKey.partition: "\(partition)", LogKey.offset: "\(next)", LogKey.shard: "\(path)"]
                )
            } catch {
                stop(partition, reason: "cannot open shard \(path): \(error)")
                pendingPause.append(topicPartition)
            }
        }
        return offsets
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        for topicPartition in partitions where topicPartition.topic == configuration.topics.transactions {
            if case .open(let shard, _) = slots[topicPartition.partition] { shard.close() }
            slots[topicPartition.partition] = nil
            progress.revoked(topicPartition.partition)
            logger.info("partition revoked", metadata: [LogKey.partition: "\(topicPartition.partition)"])
        }
    }

    // MARK: - Applying a batch

    private func process(partition: Int32, records: [ConsumerRecord]) throws {
        guard case .open(let shard, let expected) = slots[partition] else {
            // Stopped or not ours: nothing is stored, so these records are read again
            // after the fault is repaired and the worker restarted.
            return
        }
        let limit = configuration.stopOffsets[partition] ?? Int64.max
        let fresh = records.filter { $0.offset >= expected && $0.offset < limit }
        guard let first = fresh.first, let last = fresh.last else { return }
        guard first.offset == expected else {
            stop(
                partition,
                reason: "expected offset \(expected) but the log continues at \(first.offset): "
                    + "records \(expected)..<\(first.offset) are no longer in Kafka; the shard cannot be completed"
            )
            return
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let writer = OutputRecords(topics: configuration.topics, partition: partition)
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(fresh.count)
        var context = OutputRecords.Context()
        var deadLetters: [ProducerRecord] = []
        for record in fresh {
            switch InboundMessage.decode(record.value) {
            case .success(.transaction(let transaction, let traceId)):
                if !traceId.isEmpty { context.traceIds[record.offset] = traceId }
                entries.append(LedgerEntry(offset: record.offset, kind: .transaction(transaction)))
            case .success(.barrier(let cycle, let closedAt)):
                entries.append(LedgerEntry(offset: record.offset, kind: .barrier(cycle: cycle, closedAtMilliseconds: closedAt)))
            case .success(.inquiry(let partnerId, let requestId, let memberId, let traceId)):
                context.inquiries[record.offset] = (partnerId, requestId, traceId)
                entries.append(LedgerEntry(offset: record.offset, kind: .inquiry(memberId: memberId)))
            case .failure(let error):
                logger.warning(
                    "record sent to the dead-letter topic",
                    metadata: [LogKey.partition: "\(partition)", LogKey.offset: "\(record.offset)", LogKey.reason: "\(error)"]
                )
                entries.append(LedgerEntry(offset: record.offset, kind: .deadLetter(reason: error.description)))
                deadLetters.append(try writer.deadLetter(record, reason: error.description))
            }
        }
        let batch = LedgerBatch(entries: entries, nextOffset: last.offset + 1)
        let applied = try applyWithRetry(shard: shard, partition: partition, batch: batch) { outputs in
            try self.publish(deadLetters + writer.records(for: outputs, context: context))
        }
        guard applied else { return }
        slots[partition] = .open(shard, nextOffset: batch.nextOffset)
        progress.applied(
            partition, nextOffset: batch.nextOffset, records: fresh.count, deadLetters: deadLetters.count,
            startedNanoseconds: started
        )
    }

    /// Applies a batch, retrying while Kafka cannot take its outputs. Returns false if
    /// the batch was not applied: the partition was stopped (shard fault) or shutdown
    /// was requested while Kafka was unreachable (nothing stored; replayed next start).
    private func applyWithRetry(
        shard: Shard,
        partition: Int32,
        batch: LedgerBatch,
        publish: @escaping ([LedgerOutput]) throws -> Void
    ) throws -> Bool {
        var attempt = 0
        while true {
            do {
                _ = try shard.apply(batch, beforeCommit: publish)
                return true
            } catch let error as KafkaError {
                let delay = Self.publishRetryMilliseconds[min(attempt, Self.publishRetryMilliseconds.count - 1)]
                logger.warning(
                    "could not publish a batch's results; nothing stored, retrying",
                    metadata: [LogKey.partition: "\(partition)", LogKey.error: "\(error)", "retry_in_ms": "\(delay)"]
                )
                if stopRequested.flag.load(ordering: .relaxed) { return false }
                Thread.sleep(forTimeInterval: Double(delay) / 1_000)
                attempt += 1
            } catch {
                stop(partition, reason: "shard \(configuration.shardPath(partition: partition)) cannot be written: \(error)")
                if let consumer {
                    try consumer.pause([TopicPartition(topic: configuration.topics.transactions, partition: partition)])
                }
                return false
            }
        }
    }

    private func publish(_ records: [ProducerRecord]) throws {
        guard let producer, !records.isEmpty else { return }
        _ = try producer.sendAllBlocking(records, timeoutMilliseconds: configuration.publishTimeoutMilliseconds)
    }

    // MARK: - Helpers

    private func stop(_ partition: Int32, reason: String) {
        if case .open(let shard, _) = slots[partition] { shard.close() }
        slots[partition] = .stopped(reason: reason)
        progress.failed(partition, reason: reason)
        logger.error(
            "partition stopped: no further records of it are applied until this is repaired",
            metadata: [LogKey.partition: "\(partition)", LogKey.reason: "\(reason)"]
        )
    }

    private func pausePendingPartitions() throws {
        guard let consumer, !pendingPause.isEmpty else { return }
        try consumer.pause(pendingPause)
        pendingPause.removeAll()
    }

    /// True when every open shard has applied its partition to the end (or to its stop
    /// offset), so a batch run can exit.
    private func caughtUp() throws -> Bool {
        guard let consumer, !slots.isEmpty else { return false }
        for (partition, slot) in slots {
            guard case .open(_, let next) = slot else { continue }
            let end: Int64
            if let stop = configuration.stopOffsets[partition] {
                end = stop
            } else {
                end = try consumer.highWatermark(
                    TopicPartition(topic: configuration.topics.transactions, partition: partition),
                    timeoutMilliseconds: 5_000
                )
            }
            if next < end { return false }
        }
        return true
    }

    private func shutDown() {
        consumer?.close()
        consumer = nil
        for case .open(let shard, _) in slots.values { shard.close() }
        slots.removeAll()
        if let producer {
            try? producer.flush(timeoutMilliseconds: 10_000)
            producer.shutdown()
        }
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
