import CRdKafka
import Foundation
import Logging
import Synchronization

public struct ProducerRecord: Sendable {
    public var topic: String
    /// nil: the partitioner chooses by key (murmur2_random, Java-compatible).
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Sent as the record header `trace-id` (`RecordHeaders`); nil: no header.
    public var traceId: String?

    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8], traceId: String? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.traceId = traceId
    }
}

public struct RecordMetadata: Sendable, Equatable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// Retained per message as librdkafka's message opaque; released in the delivery report.
private final class DeliveryBox {
    let onDelivery: @Sendable (Result<RecordMetadata, KafkaError>) -> Void
    init(_ onDelivery: @escaping @Sendable (Result<RecordMetadata, KafkaError>) -> Void) {
        self.onDelivery = onDelivery
    }
}

/// The producer's state reached from librdkafka's delivery callback.
private final class ProducerContext: ClientContext, @unchecked Sendable {
    // @unchecked Sendable: the only added state is an atomic.
    /// Records whose delivery failed (any reason), for the nodes' delivery-error metrics.
    let deliveryErrors = Atomic<Int64>(0)
}

/// An idempotent (acks=all) producer. Owns the `rd_kafka_t` and a dedicated poll thread that
/// serves delivery reports, logs and errors.
public final class KafkaProducer: Sendable {
    private let handle: RDKafkaHandle
    private let context: ProducerContext
    private let pollThread: PollThread
    private let logger: Logger
    /// true once shutdown began. `produce` holds the lock across `rd_kafka_produceva`, so the
    /// handle is never destroyed under an enqueue.
    private let closed = Mutex(false)

    public init(configuration: ProducerConfiguration, logger: Logger) throws(KafkaError) {
        self.logger = logger
        let context = ProducerContext(logger: logger)
        self.context = context
        let handle = try makeRDKafkaHandle(
            kind: .producer, settings: configuration.librdkafkaSettings, context: context
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message else { return }
                if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR, let context = ClientContext.from(opaque) {
                    // Only ProducerContexts are installed on producer handles.
                    unsafeDowncast(context, to: ProducerContext.self).deliveryErrors.add(1, ordering: .relaxed)
                }
                KafkaProducer.deliveryReport(message.pointee)
            }
        }
        self.handle = handle
        self.pollThread = PollThread(name: "kafka-producer-poll") {
            rd_kafka_poll(handle.pointer, 100)
        }
    }

    deinit { shutdown() }

    private static func deliveryReport(_ message: rd_kafka_message_t) {
        guard let opaque = message._private else { return }
        let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            box.onDelivery(.success(RecordMetadata(topic: topic, partition: message.partition, offset: message.offset)))
        } else {
            let partition = message.partition == RD.partitionUnassigned ? "unassigned" : "\(message.partition)"
            box.onDelivery(
                .failure(
                    .rd(message.err, "delivery to topic \(topic) partition \(partition) failed", fallback: .delivery)))
        }
    }

    /// Non-blocking enqueue. Throws `.queueFull` as back-pressure (the record is not
    /// enqueued; nothing is dropped silently). `onDelivery` runs on the poll thread.
    public func produce(
        _ record: ProducerRecord,
        onDelivery: @escaping @Sendable (Result<RecordMetadata, KafkaError>) -> Void
    ) throws(KafkaError) {
        let opaque = Unmanaged.passRetained(DeliveryBox(onDelivery)).toOpaque()
        let err: (code: rd_kafka_resp_err_t, text: String)? = closed.withLock { isClosed in
            if isClosed { return (RD_KAFKA_RESP_ERR__DESTROY, "producer is shut down") }
            return enqueue(record, opaque: opaque)
        }
        if let err {
            Unmanaged<DeliveryBox>.fromOpaque(opaque).release()
            let partition = record.partition.map { " partition \($0)" } ?? ""
            let code = RD.classify(err.code.rawValue, fallback: .other)
            var hint = ""
            if code == .queueFull {
                hint = " (producer queue full: wait for deliveries or raise queue.buffering.max.messages)"
            }
            throw KafkaError(
                code: code, message: "cannot enqueue record for topic \(record.topic)\(partition): \(err.text)\(hint)",
                rdkafkaCode: err.code.rawValue)
        }
    }

    private func enqueue(_ record: ProducerRecord, opaque: UnsafeMutableRawPointer) -> (rd_kafka_resp_err_t, String)? {
        record.topic.withCString { topic in
            record.value.withUnsafeBytes { value in
                withOptionalBytes(record.key) { key in
                    RecordHeaders.withTraceId(record.traceId) { traceId in
                        // On the stack: one heap array per record was measurable at 100k records/s.
                        withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { vus in
                            vus.initialize(repeating: rd_kafka_vu_t())
                            vus[0].vtype = RD_KAFKA_VTYPE_TOPIC
                            vus[0].u.cstr = topic
                            vus[1].vtype = RD_KAFKA_VTYPE_PARTITION
                            vus[1].u.i32 = record.partition ?? RD.partitionUnassigned
                            vus[2].vtype = RD_KAFKA_VTYPE_VALUE
                            vus[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                            vus[2].u.mem.size = value.count
                            vus[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                            vus[3].u.i = RD_KAFKA_MSG_F_COPY
                            vus[4].vtype = RD_KAFKA_VTYPE_OPAQUE
                            vus[4].u.ptr = opaque
                            var count = 5
                            if let key {
                                vus[5].vtype = RD_KAFKA_VTYPE_KEY
                                vus[5].u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                                vus[5].u.mem.size = key.count
                                count = 6
                            }
                            if let traceId {
                                RecordHeaders.setTraceId(&vus[count], traceId)
                                count += 1
                            }
                            guard let error = rd_kafka_produceva(handle.pointer, vus.baseAddress, count) else { return nil }
                            defer { rd_kafka_error_destroy(error) }
                            return (rd_kafka_error_code(error), String(cString: rd_kafka_error_string(error)))
                        }
                    }
                }
            }
        }
    }

    /// Enqueues and awaits the broker's acknowledgement (acks=all). Does not block the
    /// cooperative pool: the continuation is resumed from the delivery report.
    public func send(_ record: ProducerRecord) async throws(KafkaError) -> RecordMetadata {
        let result: Result<RecordMetadata, KafkaError> = await withCheckedContinuation { continuation in
            do throws(KafkaError) {
                try produce(record) { continuation.resume(returning: $0) }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    /// BLOCKING — call from a dedicated thread. Enqueues all records (on `.queueFull` waits for
    /// deliveries and retries, bounded by the timeout), then waits until every record is
    /// acknowledged or failed. Throws the first failure in input order. Results in input order.
    public func sendAllBlocking(
        _ records: [ProducerRecord], timeoutMilliseconds: Int
    ) throws(KafkaError)
        -> [RecordMetadata]
    {
        let deadline = monotonicMilliseconds() + Int64(timeoutMilliseconds)
        let batch = BlockingBatch(count: records.count)
        var index = 0
        while index < records.count {
            let slot = index
            do throws(KafkaError) {
                try produce(records[slot]) { batch.complete(slot, $0) }
                index += 1
            } catch  where error.code == .queueFull {
                if monotonicMilliseconds() >= deadline {
                    throw KafkaError(
                        code: .queueFull,
                        message:
                            "producer queue stayed full for \(timeoutMilliseconds) ms; enqueued \(index) of \(records.count) records (topic \(records[slot].topic))",
                        rdkafkaCode: error.rdkafkaCode)
                }
                batch.waitForProgress(milliseconds: 5)
            }
        }
        return try batch.waitAll(deadline: deadline, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// BLOCKING. Waits until every enqueued record has been delivered or failed (their
    /// callbacks ran on the poll thread).
    public func flush(timeoutMilliseconds: Int) throws(KafkaError) {
        let deadline = monotonicMilliseconds() + Int64(timeoutMilliseconds)
        let isClosed = closed.withLock { $0 }
        if isClosed { throw KafkaError(code: .closed, message: "flush: producer is shut down") }
        while true {
            let pending = rd_kafka_outq_len(handle.pointer)
            if pending == 0 { return }
            if monotonicMilliseconds() >= deadline {
                throw KafkaError(
                    code: .timedOut, message: "flush timed out after \(timeoutMilliseconds) ms with \(pending) records/requests outstanding")
            }
            usleep(1_000)
        }
    }

    /// Records and requests not yet acknowledged or failed (`rd_kafka_outq_len`); 0 once
    /// shut down. Cheap, from any thread: metrics read it at most once a second.
    public var queueLength: Int {
        closed.withLock { isClosed in isClosed ? 0 : Int(rd_kafka_outq_len(handle.pointer)) }
    }

    /// Records whose delivery failed since this producer started (any reason; each also
    /// reached its caller's delivery callback).
    public var deliveryErrors: Int64 { context.deliveryErrors.load(ordering: .relaxed) }

    /// The topic's partition count, from cluster metadata.
    public func partitionCount(topic: String, timeoutMilliseconds: Int) throws(KafkaError) -> Int32 {
        let isClosed = closed.withLock { $0 }
        if isClosed { throw KafkaError(code: .closed, message: "partitionCount(\(topic)): producer is shut down") }
        return try fetchPartitionCount(handle.pointer, topic: topic, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Flushes best-effort (5 s), fails whatever is still queued (callbacks get `.closed`),
    /// stops the poll thread and destroys the handle. Idempotent.
    public func shutdown() { shutdown(flushTimeoutMilliseconds: 5_000) }

    /// As `shutdown()`, with the best-effort flush bounded by `flushTimeoutMilliseconds`.
    public func shutdown(flushTimeoutMilliseconds: Int) {
        let first = closed.withLock { isClosed in
            defer { isClosed = true }
            return !isClosed
        }
        guard first else { return }
        if pollThread.isCurrentThread {
            // Called from a delivery callback (e.g. the last reference dropped there): the poll
            // thread cannot join itself, so finish on a helper thread.
            let handle = self.handle
            let pollThread = self.pollThread
            let context = self.context
            Thread.detachNewThread {
                KafkaProducer.finish(handle: handle, pollThread: pollThread, context: context, flushTimeoutMilliseconds: flushTimeoutMilliseconds)
            }
        } else {
            KafkaProducer.finish(handle: handle, pollThread: pollThread, context: context, flushTimeoutMilliseconds: flushTimeoutMilliseconds)
        }
    }

    private static func finish(handle: RDKafkaHandle, pollThread: PollThread, context: ClientContext, flushTimeoutMilliseconds: Int) {
        let rk = handle.pointer
        let flushDeadline = monotonicMilliseconds() + Int64(flushTimeoutMilliseconds)
        while rd_kafka_outq_len(rk) > 0 && monotonicMilliseconds() < flushDeadline { usleep(1_000) }
        if rd_kafka_outq_len(rk) > 0 {
            context.logger.warning(
                "producer shutdown: \(rd_kafka_outq_len(rk)) records undelivered after \(flushTimeoutMilliseconds) ms; failing them")
            _ = rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            let purgeDeadline = monotonicMilliseconds() + 2_000
            while rd_kafka_outq_len(rk) > 0 && monotonicMilliseconds() < purgeDeadline { usleep(1_000) }
        }
        pollThread.stopAndJoin()
        rd_kafka_poll(rk, 0)  // serve any last delivery reports, so no continuation is left hanging
        handle.destroy()
        withExtendedLifetime(context) {}
    }
}

/// Collects the outcomes of one `sendAllBlocking` call.
private final class BlockingBatch: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var results: [Result<RecordMetadata, KafkaError>?]
    private var remaining: Int

    init(count: Int) {
        results = Array(repeating: nil, count: count)
        remaining = count
    }

    func complete(_ slot: Int, _ result: Result<RecordMetadata, KafkaError>) {
        condition.lock()
        results[slot] = result
        remaining -= 1
        // Wake the waiter when all are in, and now and then for `waitForProgress` (a queue
        // that was full); one wake-up per record cost a futex call and a context switch each.
        if remaining == 0 || remaining & 1023 == 0 { condition.broadcast() }
        condition.unlock()
    }

    func waitForProgress(milliseconds: Int) {
        condition.lock()
        _ = condition.wait(until: Date(timeIntervalSinceNow: Double(milliseconds) / 1000))
        condition.unlock()
    }

    func waitAll(deadline: Int64, timeoutMilliseconds: Int) throws(KafkaError) -> [RecordMetadata] {
        condition.lock()
        defer { condition.unlock() }
        while remaining > 0 {
            let left = deadline - monotonicMilliseconds()
            if left <= 0 {
                throw KafkaError(
                    code: .timedOut,
                    message:
                        "sendAllBlocking: \(remaining) of \(results.count) records not acknowledged within \(timeoutMilliseconds) ms (they may still be delivered; raise the timeout or lower message.timeout.ms)"
                )
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(left) / 1000))
        }
        var out: [RecordMetadata] = []
        out.reserveCapacity(results.count)
        for result in results {
            switch result! {
            case .success(let metadata): out.append(metadata)
            case .failure(let error): throw error
            }
        }
        return out
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

/// Partition count of `topic` via a metadata request on `rk`.
func fetchPartitionCount(_ rk: OpaquePointer, topic: String, timeoutMilliseconds: Int) throws(KafkaError) -> Int32 {
    guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
        throw KafkaError(code: .configuration, message: "invalid topic name \(topic)")
    }
    defer { rd_kafka_topic_destroy(rkt) }
    var metadata: UnsafePointer<rd_kafka_metadata_t>?
    let err = rd_kafka_metadata(rk, 0, rkt, &metadata, Int32(clamping: timeoutMilliseconds))
    guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
        throw .rd(err, "metadata request for topic \(topic) failed")
    }
    defer { rd_kafka_metadata_destroy(metadata) }
    guard metadata.pointee.topic_cnt > 0, let topics = metadata.pointee.topics else {
        throw KafkaError(code: .unknownTopicOrPartition, message: "metadata has no entry for topic \(topic)")
    }
    let entry = topics[0]
    if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR {
        throw .rd(entry.err, "metadata for topic \(topic)")
    }
    if entry.partition_cnt == 0 {
        throw KafkaError(code: .unknownTopicOrPartition, message: "topic \(topic) has no partitions (does it exist?)")
    }
    return entry.partition_cnt
}
