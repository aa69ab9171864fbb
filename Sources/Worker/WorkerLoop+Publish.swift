import Foundation
import Kafka
import Ledger
import Logging
import Programme
import Synchronization

/// Applying a round and publishing its outputs before any shard commits (publish before
/// commit), with the replacements of outputs Kafka refused for good.
extension WorkerLoop {
    /// Applies a round, retrying while Kafka cannot take its outputs. A shard that cannot
    /// be written is stopped (its transaction rolled back) and the others go on. If
    /// shutdown is requested while Kafka is unreachable, nothing of the round is stored
    /// (replayed next start).
    func applyRound(_ round: [Prepared], pollStarted: ContinuousClock.Instant, polled: ContinuousClock.Instant) throws {
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
            let applied = ContinuousClock.now
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
            let acknowledged = ContinuousClock.now
            let committed: [(Error?, Duration)] = Self.parallelMap(pending.count, threads: applyThreads) { index in
                let started = ContinuousClock.now
                do {
                    try pending[index].0.shard.commit(pending[index].1)
                    return (nil, ContinuousClock.now - started)
                } catch {
                    return (error, ContinuousClock.now - started)
                }
            }
            if let observer = configuration.roundObserver {
                let times = (pollStarted, polled, applied, acknowledged)
                observer(Self.timing(times, pending.map { $0.0 }, committed.map { $0.1 }))
            }
            for ((prepared, applied), (error, _)) in zip(pending, committed) {
                if let error {
                    fail(prepared.partition, error)
                    continue
                }
                slots[prepared.partition] = .open(prepared.shard, nextOffset: prepared.batch.nextOffset)
                progress.applied(
                    prepared.partition, nextOffset: prepared.batch.nextOffset, records: prepared.records,
                    deadLetters: prepared.deadLetters.count, startedNanoseconds: prepared.started
                )
                countOutputs(prepared.partition, applied.outputs)
                logTransactions(prepared, applied)
                snapshotIfDue(prepared.partition, after: applied)
                checkpoints.checkIfDue(prepared.shard)
            }
            if replaced > 0 { progress.replaced(replaced) }
            return
        }
    }

    /// With --log-level debug: a line per transaction of a committed batch, with its trace
    /// id (the gateway's, carried in the envelope), so one partner request can be followed
    /// from the gateway's log to the result. At info and above this returns at once:
    /// nothing is built per transaction.
    func logTransactions(_ prepared: Prepared, _ applied: Shard.Pending) {
        guard logger.logLevel <= .debug else { return }
        for case .result(let offset, let transaction, let outcome, _, _) in applied.outputs {
            var metadata: Logger.Metadata = [
                "trace_id": "\(prepared.context.traceIds[offset] ?? "")", LogKey.partition: "\(prepared.partition)",
                LogKey.offset: "\(offset)", "partner": "\(transaction.partnerId)", "partner_txn_id": "\(transaction.partnerTxnId)",
                "status": "\(outcome.status.name)",
            ]
            if let reason = outcome.reason { metadata[LogKey.reason] = "\(reason)" }
            logger.debug(outcome.status == .rejected ? "transaction refused" : "transaction applied", metadata: metadata)
        }
    }

    /// A round's `RoundTiming`: its instants (poll started, polled, applied, acknowledged),
    /// now as the commit's end, and each shard's offsets and COMMIT time.
    static func timing(
        _ times: (ContinuousClock.Instant, ContinuousClock.Instant, ContinuousClock.Instant, ContinuousClock.Instant),
        _ shards: [Prepared], _ commits: [Duration]
    ) -> RoundTiming {
        let shares = zip(shards, commits).map { prepared, commit in
            RoundTiming.Share(
                partition: prepared.partition, firstOffset: prepared.batch.entries.first?.offset ?? prepared.batch.nextOffset,
                nextOffset: prepared.batch.nextOffset, commitNanoseconds: commit.nanosecondsCount)
        }
        return RoundTiming(
            pollStarted: times.0, polled: times.1, applied: times.2, acknowledged: times.3, committed: .now, shares: shares)
    }

    /// Publishes, for each output Kafka refused for good, its bounded replacement
    /// (`OutputRecords.replacement`) and waits for the acks; returns how many. Throws (and
    /// the round is retried) when an output has no replacement (a position) or Kafka
    /// refuses the replacement too: then the topic itself is wrong for every record (its
    /// max.message.bytes), which an operator must fix; skipping would lose outputs.
    func publishReplacements(_ refusals: [RecordRefusal], round: [Prepared], published: [Int: [ProducerRecord]]) throws -> Int {
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
}

extension Duration {
    fileprivate var nanosecondsCount: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
