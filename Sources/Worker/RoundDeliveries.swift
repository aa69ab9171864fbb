import Foundation
import Kafka

/// The outputs of one round: enqueued shard by shard, as soon as each shard is applied,
/// and awaited once before any shard commits. Kafka sends (and acknowledges) the first
/// shards' results while later shards are still being applied; waiting for all of them
/// only after the whole round was applied left the cores idle for a quarter of the time.
///
/// Every shard's SQL transaction stays open until `waitAll` returns, so results are still
/// acknowledged before the ledger commits (publish before commit, docs/architecture.md).
final class RoundDeliveries: @unchecked Sendable {
    // @unchecked Sendable: the mutable state is guarded by `condition`; the producer is
    // Sendable. Enqueued from the apply threads, completed from the producer's poll thread.
    private let condition = NSCondition()
    private var outstanding = 0
    private var enqueued = 0
    private var failure: KafkaError?
    private let producer: KafkaProducer
    private let timeoutMilliseconds: Int

    init(producer: KafkaProducer, timeoutMilliseconds: Int) {
        self.producer = producer
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    private func deadline() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
    }

    /// Enqueues `records` in order. A full producer queue is back-pressure: waits for
    /// deliveries and retries, for at most the timeout per record. After the round has
    /// failed, enqueues nothing more (the round is rolled back and retried anyway).
    func enqueue(_ records: [ProducerRecord]) {
        for record in records {
            guard enqueueOne(record) else { return }
        }
    }

    private func enqueueOne(_ record: ProducerRecord) -> Bool {
        var deadlineNanoseconds: UInt64?
        while true {
            condition.lock()
            if failure != nil {
                condition.unlock()
                return false
            }
            outstanding += 1
            condition.unlock()
            do throws(KafkaError) {
                try producer.produce(record) { [self] result in complete(result) }
                condition.lock()
                enqueued += 1
                condition.unlock()
                return true
            } catch {
                condition.lock()
                outstanding -= 1
                let limit = deadlineNanoseconds ?? deadline()
                deadlineNanoseconds = limit
                let expired = DispatchTime.now().uptimeNanoseconds >= limit
                if error.code != .queueFull || expired {
                    if failure == nil {
                        failure =
                            error.code == .queueFull
                            ? KafkaError(
                                code: .queueFull,
                                message: "producer queue stayed full for \(timeoutMilliseconds) ms; \(enqueued) records of this round enqueued",
                                rdkafkaCode: error.rdkafkaCode)
                            : error
                    }
                    condition.broadcast()
                    condition.unlock()
                    return false
                }
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.005))
                condition.unlock()
            }
        }
    }

    private func complete(_ result: Result<RecordMetadata, KafkaError>) {
        condition.lock()
        outstanding -= 1
        if case .failure(let error) = result, failure == nil { failure = error }
        // Wake the waiter when all are in, on a failure, and now and then for a producer
        // queue that was full; one wake-up per record cost a futex call each.
        if outstanding == 0 || outstanding & 1023 == 0 || failure != nil { condition.broadcast() }
        condition.unlock()
    }

    /// BLOCKING. Returns once every enqueued record is acknowledged; throws the first
    /// failure (enqueue or delivery), or a timeout when acks take longer than the
    /// timeout from this call (applying the round does not count against it).
    func waitAll() throws(KafkaError) {
        let deadlineNanoseconds = deadline()
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && outstanding > 0 {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadlineNanoseconds else {
                throw KafkaError(
                    code: .timedOut,
                    message:
                        "\(outstanding) of \(enqueued) records of a round not acknowledged within \(timeoutMilliseconds) ms (they may still be delivered)"
                )
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadlineNanoseconds - now) / 1e9))
        }
        if let failure { throw failure }
    }
}
