import Foundation
import Kafka

/// The outputs of one round: enqueued shard by shard, as soon as each shard is applied,
/// and awaited once before any shard commits. Kafka sends (and acknowledges) the first
/// shards' results while later shards are still being applied; waiting for all of them
/// only after the whole round was applied left the cores idle for a quarter of the time.
///
/// Every shard's SQL transaction stays open until `waitAll` returns, so results are still
/// acknowledged before the ledger commits (publish before commit, docs/architecture.md).
///
/// A record Kafka refuses for its own content (`RecordRefusal`) does not fail the round:
/// it is collected, and `waitAll` returns it so that the caller publishes a replacement.
/// Any other error fails the round (rolled back and retried).
final class RoundDeliveries: @unchecked Sendable {
    // @unchecked Sendable: the mutable state is guarded by `condition`; the producer is
    // Sendable. Enqueued from the apply threads, completed from the producer's poll thread.
    private let condition = NSCondition()
    private var outstanding = 0
    private var enqueued = 0
    private var failure: KafkaError?
    private var refusals: [RecordRefusal] = []
    private let producer: KafkaProducer
    private let timeoutMilliseconds: Int

    init(producer: KafkaProducer, timeoutMilliseconds: Int) {
        self.producer = producer
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    private func deadline() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
    }

    /// Enqueues `records`, the outputs of the round's share `shard`, in order. A full
    /// producer queue is back-pressure: waits for deliveries and retries, for at most the
    /// timeout per record. After the round has failed, enqueues nothing more (the round is
    /// rolled back and retried anyway).
    func enqueue(_ records: [ProducerRecord], shard: Int) {
        for (index, record) in records.enumerated() {
            guard enqueueOne(record, shard: shard, index: index) else { return }
        }
    }

    private func enqueueOne(_ record: ProducerRecord, shard: Int, index: Int) -> Bool {
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
                try producer.produce(record) { [self] result in complete(result, shard: shard, index: index) }
                condition.lock()
                enqueued += 1
                condition.unlock()
                return true
            } catch {
                condition.lock()
                outstanding -= 1
                if error.isPermanent {
                    // The producer refuses this record itself (over message.max.bytes).
                    refusals.append(RecordRefusal(shard: shard, index: index, error: error))
                    condition.unlock()
                    return true
                }
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

    private func complete(_ result: Result<RecordMetadata, KafkaError>, shard: Int, index: Int) {
        condition.lock()
        outstanding -= 1
        if case .failure(let error) = result {
            if error.isPermanent {
                refusals.append(RecordRefusal(shard: shard, index: index, error: error))
            } else if failure == nil {
                failure = error
            }
        }
        // Wake the waiter when all are in, on a failure, and now and then for a producer
        // queue that was full; one wake-up per record cost a futex call each.
        if outstanding == 0 || outstanding & 1023 == 0 || failure != nil { condition.broadcast() }
        condition.unlock()
    }

    /// BLOCKING. Returns once every enqueued record is acknowledged or refused, with the
    /// refusals in (shard, index) order; throws the first other failure (enqueue or
    /// delivery), or a timeout when acks take longer than the timeout from this call
    /// (applying the round does not count against it).
    func waitAll() throws(KafkaError) -> [RecordRefusal] {
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
        return refusals.sorted { ($0.shard, $0.index) < ($1.shard, $1.index) }
    }
}
