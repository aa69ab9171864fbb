import Foundation
import Kafka
import Ledger
import Logging
import LoyaltyWire
import Programme
import Prometheus

/// A round: a poll's records grouped by partition, cut to at most a batch per shard,
/// selected (what each shard has not applied yet) and decoded.
extension WorkerLoop {
    /// Most shards whose SQL transactions are open at once (records per round =
    /// maxBatchRecords × this).
    static let maxShardsPerRound = 16

    /// One partition's share of a round: decoded, ready to apply.
    struct Prepared {
        var partition: Int32
        var shard: Shard
        var batch: LedgerBatch
        var writer: OutputRecords
        var context: OutputRecords.Context
        var deadLetters: [ProducerRecord]
        var records: Int
        /// Transaction records among `records` (the applied metric).
        var transactions: Int
        var started: UInt64
    }

    /// Applies every partition's records: per round, at most `maxBatchRecords` records of
    /// each partition, each shard in its own SQL transaction, all left open while their
    /// outputs are published with one wait for the acks, then each committed.
    func process(_ groups: [(Int32, [ConsumerRecord])], pollStarted: ContinuousClock.Instant) throws {
        let polled = ContinuousClock.now
        for (partition, records) in groups {
            fetchedSinceAssignment.insert(partition)
            series(partition).consumed.increment(by: Int64(records.count))
        }
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
            let round = try decoded.map { try $0.get() }
            try applyRound(round, pollStarted: pollStarted, polled: polled)
            countCommitted(round)
            remaining = next
        }
    }

    /// Counts the batches of `round` that committed (their shard moved to their next
    /// offset): once per batch, never per record.
    func countCommitted(_ round: [Prepared]) {
        let now = DispatchTime.now().uptimeNanoseconds
        for prepared in round {
            guard case .open(_, let next) = slots[prepared.partition], next == prepared.batch.nextOffset else { continue }
            let partitionMetrics = series(prepared.partition)
            partitionMetrics.applied.increment(by: Int64(prepared.transactions))
            if !prepared.deadLetters.isEmpty { partitionMetrics.deadLettered.increment(by: Int64(prepared.deadLetters.count)) }
            metrics.batchSize.record(Double(prepared.records))
            metrics.applyLatency.recordNanoseconds(Int64(now &- prepared.started))
            commitDue = true
        }
    }

    /// Counts a committed batch's refusals by reason and its positions (WorkerLoop+Publish
    /// calls it once per committed batch).
    func countOutputs(_ partition: Int32, _ outputs: [LedgerOutput]) {
        let partitionMetrics = series(partition)
        for output in outputs {
            switch output {
            case .result(_, _, let outcome, _, _) where outcome.status == .rejected:
                if let reason = outcome.reason { partitionMetrics.rejected[reason]?.increment() }
            case .position:
                partitionMetrics.positionsPublished.increment()
            default:
                continue
            }
        }
    }

    /// One partition's records of a round that are due, with the shard they go to.
    struct Selected {
        var partition: Int32
        var shard: Shard
        var records: ArraySlice<ConsumerRecord>
        var nextOffset: Int64
    }

    /// The records of `records` the shard has not applied yet; nil if there are none or
    /// the partition is not open here. A gap stops the partition.
    func select(partition: Int32, records: ArraySlice<ConsumerRecord>) -> Selected? {
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
    func decode(_ selected: Selected) throws -> Prepared {
        let started = DispatchTime.now().uptimeNanoseconds
        let partition = selected.partition
        let writer = OutputRecords(topics: configuration.topics, partition: partition)
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(selected.records.count)
        var context = OutputRecords.Context()
        var deadLetters: [ProducerRecord] = []
        var transactions = 0
        for record in selected.records {
            switch InboundMessage.decode(record.value) {
            case .success(.transaction(let transaction, let traceId)):
                if !traceId.isEmpty { context.traceIds[record.offset] = traceId }
                transactions += 1
                entries.append(LedgerEntry(offset: record.offset, kind: .transaction(transaction)))
            case .success(.barrier(let cycle, let closedAt, let suspended)):
                entries.append(
                    LedgerEntry(
                        offset: record.offset, kind: .barrier(cycle: cycle, closedAtMilliseconds: closedAt, accrualSuspended: suspended)))
            case .success(.programme(let release)):
                entries.append(LedgerEntry(offset: record.offset, kind: .programme(release)))
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
            writer: writer, context: context, deadLetters: deadLetters, records: selected.records.count,
            transactions: transactions, started: started)
    }
}

/// A round's timings, for a benchmark that wants to see where a `wait=true` answer's time
/// goes (`WorkerConfiguration.roundObserver`). Only timed when someone observes.
public struct RoundTiming: Sendable {
    /// One shard's part of the round: offsets `firstOffset..<nextOffset`, and how long its
    /// COMMIT took (a WAL checkpoint runs inside it).
    public struct Share: Sendable {
        public var partition: Int32
        public var firstOffset: Int64
        public var nextOffset: Int64
        public var commitNanoseconds: Int64
    }
    /// The loop began the poll that brought this round's records.
    public var pollStarted: ContinuousClock.Instant
    /// The records were in hand.
    public var polled: ContinuousClock.Instant
    /// Every shard applied and its outputs enqueued.
    public var applied: ContinuousClock.Instant
    /// Kafka acknowledged every output.
    public var acknowledged: ContinuousClock.Instant
    /// Every shard committed.
    public var committed: ContinuousClock.Instant
    public var shares: [Share]
}
