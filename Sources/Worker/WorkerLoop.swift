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
    /// Threads applying a round's shards at once (`WorkerConfiguration.applyThreads`).
    private let applyThreads: Int
    private let programme: Programme
    private let logger: Logger
    private let progress: WorkerProgress
    private let stopRequested: StopFlag
    private var slots: [Int32: Slot] = [:]
    private var pendingPause: [TopicPartition] = []
    /// Partitions that delivered records since they were (last) assigned: their cached
    /// end offsets come from a fetch made since then (see `caughtUp`).
    private var fetchedSinceAssignment: Set<Int32> = []
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
        applyThreads = configuration.effectiveApplyThreads
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
            if records.isEmpty {
                if configuration.exitWhenCaughtUp, try caughtUp() { break }
                continue
            }
            try process(Self.groupedByPartition(records))
        }
    }

    /// Asks for the results topic's metadata while the consumer joins its group:
    /// otherwise the first round's results waited about a second (a metadata round trip
    /// and the idempotent producer's set-up) with every shard's transaction open.
    /// Best effort: without brokers, the first round waits as it would have.
    private func warmUpProducer() {
        guard let producer else { return }
        do {
            _ = try producer.partitionCount(topic: configuration.topics.results, timeoutMilliseconds: 2_000)
        } catch {
            logger.debug("results topic metadata not available yet", metadata: [LogKey.error: "\(error)"])
        }
    }

    // MARK: - Rebalance (called on this thread, inside poll)

    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for topicPartition in partitions where topicPartition.topic == configuration.topics.transactions {
            let partition = topicPartition.partition
            fetchedSinceAssignment.remove(partition)
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
            fetchedSinceAssignment.remove(topicPartition.partition)
            progress.revoked(topicPartition.partition)
            logger.info("partition revoked", metadata: [LogKey.partition: "\(topicPartition.partition)"])
        }
    }

    // MARK: - Applying a batch

    /// Most shards whose SQL transactions are open at once (records per round =
    /// maxBatchRecords × this).
    static let maxShardsPerRound = 16

    /// One partition's share of a round: decoded, ready to apply.
    private struct Prepared {
        var partition: Int32
        var shard: Shard
        var batch: LedgerBatch
        var writer: OutputRecords
        var context: OutputRecords.Context
        var deadLetters: [ProducerRecord]
        var records: Int
        var started: UInt64
    }

    /// Applies every partition's records: per round, at most `maxBatchRecords` records of
    /// each partition, each shard in its own SQL transaction, all left open while their
    /// outputs are published with one wait for the acks, then each committed.
    private func process(_ groups: [(Int32, [ConsumerRecord])]) throws {
        for (partition, _) in groups { fetchedSinceAssignment.insert(partition) }
        var remaining = groups.map { ($0.0, $0.1[...]) }
        let limit = max(1, min(configuration.maxBatchRecords, LedgerBatch.maxEntries))
        while !remaining.isEmpty {
            var selected: [Selected] = []
            var next: [(Int32, ArraySlice<ConsumerRecord>)] = []
            for (partition, records) in remaining {
                let chunk = records.prefix(limit)
                if chunk.count < records.count { next.append((partition, records.dropFirst(limit))) }
                if let chosen = select(partition: partition, records: chunk) { selected.append(chosen) }
            }
            // Decoding is pure and per partition: on the apply threads too.
            let decoded = Self.parallelMap(selected.count, threads: applyThreads) { index in
                Result { try self.decode(selected[index]) }
            }
            try applyRound(decoded.map { try $0.get() })
            remaining = next
        }
    }

    /// One partition's records of a round that are due, with the shard they go to.
    private struct Selected {
        var partition: Int32
        var shard: Shard
        var records: ArraySlice<ConsumerRecord>
        var nextOffset: Int64
    }

    /// The records of `records` the shard has not applied yet; nil if there are none or
    /// the partition is not open here. A gap stops the partition.
    private func select(partition: Int32, records: ArraySlice<ConsumerRecord>) -> Selected? {
        guard case .open(let shard, let expected) = slots[partition] else {
            // Stopped or not ours: nothing is stored, so these records are read again
            // after the fault is repaired and the worker restarted.
            return nil
        }
        let limit = configuration.stopOffsets[partition] ?? Int64.max
        let fresh = records.filter { $0.offset >= expected && $0.offset < limit }
        guard let first = fresh.first, let last = fresh.last else { return nil }
        guard first.offset == expected else {
            stop(
                partition,
                reason: "expected offset \(expected) but the log continues at \(first.offset): "
                    + "records \(expected)..<\(first.offset) are no longer in Kafka; the shard cannot be completed"
            )
            return nil
        }
        return Selected(partition: partition, shard: shard, records: fresh[...], nextOffset: last.offset + 1)
    }

    /// Decodes a partition's share of a round. Touches nothing but its arguments (runs on
    /// the apply threads).
    private func decode(_ selected: Selected) throws -> Prepared {
        let started = DispatchTime.now().uptimeNanoseconds
        let partition = selected.partition
        let writer = OutputRecords(topics: configuration.topics, partition: partition)
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(selected.records.count)
        var context = OutputRecords.Context()
        var deadLetters: [ProducerRecord] = []
        for record in selected.records {
            switch InboundMessage.decode(record.value) {
            case .success(.transaction(let transaction, let traceId)):
                if !traceId.isEmpty { context.traceIds[record.offset] = traceId }
                entries.append(LedgerEntry(offset: record.offset, kind: .transaction(transaction)))
            case .success(.barrier(let cycle, let closedAt)):
                entries.append(LedgerEntry(offset: record.offset, kind: .barrier(cycle: cycle, closedAtMilliseconds: closedAt)))
            case .success(.inquiry(let partnerId, let requestId, let memberId, let eventTime, let traceId)):
                context.inquiries[record.offset] = (partnerId, requestId, traceId)
                entries.append(LedgerEntry(offset: record.offset, kind: .inquiry(memberId: memberId, atMilliseconds: eventTime)))
            case .failure(let error):
                logger.warning(
                    "record sent to the dead-letter topic",
                    metadata: [LogKey.partition: "\(partition)", LogKey.offset: "\(record.offset)", LogKey.reason: "\(error)"]
                )
                entries.append(LedgerEntry(offset: record.offset, kind: .deadLetter(reason: error.description)))
                deadLetters.append(try writer.deadLetter(record, reason: error.description))
            }
        }
        return Prepared(
            partition: partition, shard: selected.shard, batch: LedgerBatch(entries: entries, nextOffset: selected.nextOffset),
            writer: writer, context: context, deadLetters: deadLetters, records: selected.records.count, started: started)
    }

    /// Applies a round, retrying while Kafka cannot take its outputs. A shard that cannot
    /// be written is stopped (its transaction rolled back) and the others go on. If
    /// shutdown is requested while Kafka is unreachable, nothing of the round is stored
    /// (replayed next start).
    private func applyRound(_ round: [Prepared]) throws {
        var attempt = 0
        var round = round
        while !round.isEmpty {
            let deliveries = producer.map {
                RoundDeliveries(producer: $0, timeoutMilliseconds: configuration.publishTimeoutMilliseconds)
            }
            // Each shard is its own file and connection, owned by this loop: the shards of
            // a round are applied (and their results encoded and enqueued) on up to
            // `applyThreads` threads at once. Everything else (slots, stopping, the
            // consumer) stays on this thread.
            let started: [Result<(Shard.Pending, [ProducerRecord]), Error>] = Self.parallelMap(round.count, threads: applyThreads) { index in
                let prepared = round[index]
                let applied: Shard.Pending
                do {
                    applied = try prepared.shard.begin(prepared.batch)
                } catch {
                    return .failure(error)
                }
                do {
                    let records = try prepared.deadLetters + prepared.writer.records(for: applied.outputs, context: prepared.context)
                    deliveries?.enqueue(records, shard: index)
                    return .success((applied, records))
                } catch {
                    prepared.shard.rollback(applied)
                    return .failure(error)
                }
            }
            var pending: [(Prepared, Shard.Pending)] = []
            var published: [Int: [ProducerRecord]] = [:]
            for (index, (prepared, result)) in zip(round, started).enumerated() {
                switch result {
                case .success(let (applied, records)):
                    pending.append((prepared, applied))
                    published[index] = records
                case .failure(let error):
                    fail(prepared.partition, error)
                }
            }
            var replaced = 0
            do {
                let refusals = try deliveries?.waitAll() ?? []
                if !refusals.isEmpty { replaced = try publishReplacements(refusals, round: round, published: published) }
            } catch {
                for (prepared, applied) in pending { prepared.shard.rollback(applied) }
                let delay = Self.publishRetryMilliseconds[min(attempt, Self.publishRetryMilliseconds.count - 1)]
                logger.warning(
                    "could not publish a batch's results; nothing stored, retrying",
                    metadata: [
                        LogKey.partition: "\(pending.map { $0.0.partition })", LogKey.error: "\(error)", "retry_in_ms": "\(delay)",
                    ]
                )
                if stopRequested.flag.load(ordering: .relaxed) { return }
                Thread.sleep(forTimeInterval: Double(delay) / 1_000)
                attempt += 1
                round = pending.map { $0.0 }
                continue
            }
            let committed: [Error?] = Self.parallelMap(pending.count, threads: applyThreads) { index in
                do {
                    try pending[index].0.shard.commit(pending[index].1)
                    return nil
                } catch {
                    return error
                }
            }
            for ((prepared, _), error) in zip(pending, committed) {
                if let error {
                    fail(prepared.partition, error)
                    continue
                }
                slots[prepared.partition] = .open(prepared.shard, nextOffset: prepared.batch.nextOffset)
                progress.applied(
                    prepared.partition, nextOffset: prepared.batch.nextOffset, records: prepared.records,
                    deadLetters: prepared.deadLetters.count, startedNanoseconds: prepared.started
                )
            }
            if replaced > 0 { progress.replaced(replaced) }
            return
        }
    }

    /// Publishes, for each output Kafka refused for good, its bounded replacement
    /// (`OutputRecords.replacement`) and waits for the acks; returns how many. Throws (and
    /// the round is retried) when an output has no replacement (a position) or Kafka
    /// refuses the replacement too: then the topic itself is wrong for every record (its
    /// max.message.bytes), which an operator must fix; skipping would lose outputs.
    private func publishReplacements(_ refusals: [RecordRefusal], round: [Prepared], published: [Int: [ProducerRecord]]) throws -> Int {
        guard let producer else { return 0 }
        var replacements: [ProducerRecord] = []
        for refusal in refusals {
            let prepared = round[refusal.shard]
            guard let original = published[refusal.shard]?[refusal.index],
                let (replacement, offset) = prepared.writer.replacement(for: original, error: refusal.error)
            else {
                throw WorkerError(message: "partition \(prepared.partition): an output Kafka refused has no smaller form: \(refusal.error)")
            }
            logger.warning(
                "Kafka refused an output for good; publishing a bounded replacement without its free text",
                metadata: [
                    LogKey.partition: "\(prepared.partition)", LogKey.offset: "\(offset)", LogKey.topic: "\(original.topic)",
                    LogKey.error: "\(refusal.error)", "bytes": "\(original.value.count)",
                ]
            )
            replacements.append(replacement)
        }
        let deliveries = RoundDeliveries(producer: producer, timeoutMilliseconds: configuration.publishTimeoutMilliseconds)
        deliveries.enqueue(replacements, shard: 0)
        if let again = try deliveries.waitAll().first {
            throw WorkerError(
                message: "Kafka refused even the bounded replacement of a \(replacements[again.index].topic) record "
                    + "(\(replacements[again.index].value.count) bytes): \(again.error); check the topic's max.message.bytes")
        }
        return replacements.count
    }

    /// `body(0..<count)` on up to `threads` threads (and no more than libdispatch runs at
    /// once: one per core), results in index order. Each index is handled by exactly one
    /// thread; `body` must touch only state of its index.
    static func parallelMap<T>(_ count: Int, threads: Int, _ body: (Int) -> T) -> [T] {
        let parallelism = min(threads, count)
        if parallelism <= 1 { return (0..<count).map(body) }
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox((body, results))
            DispatchQueue.concurrentPerform(iterations: parallelism) { _ in
                let (body, results) = box.value
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < count else { return }
                    results[index] = body(index)
                }
            }
        }
        let out = results.map { $0! }
        _ = results.deinitialize()
        return out
    }

    /// A shard fault: stop the partition and stop fetching it.
    private func fail(_ partition: Int32, _ error: Error) {
        stop(partition, reason: "shard \(configuration.shardPath(partition: partition)) cannot be written: \(error)")
        if let consumer {
            do {
                try consumer.pause([TopicPartition(topic: configuration.topics.transactions, partition: partition)])
            } catch {
                pendingPause.append(TopicPartition(topic: configuration.topics.transactions, partition: partition))
            }
        }
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
    /// offset), so a batch run can exit: everything written before this worker started is
    /// applied.
    ///
    /// For a partition that delivered records since it was assigned, the end comes from
    /// the last fetch response (no round trip; that fetch was made after the assignment, so
    /// its end is at least the end when this worker took the partition). Asking the broker
    /// waits behind the connection's outstanding fetch: it took 4.5 s for 16 partitions on
    /// the mock cluster, after every batch run. Other partitions still ask.
    private func caughtUp() throws -> Bool {
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

/// Hands non-Sendable values to `parallelMap`'s threads, which touch disjoint parts only.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

