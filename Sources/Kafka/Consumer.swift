import CRdKafka
import Foundation
import Logging

public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

public struct ConsumerRecord: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    public let timestampMilliseconds: Int64
    /// The record header `trace-id` (`RecordHeaders`), nil when the record has none.
    public let traceId: String?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], timestampMilliseconds: Int64,
        traceId: String? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
        self.traceId = traceId
    }
}

/// Called on the polling thread, synchronously, during `poll()` (and `close()`).
public protocol RebalanceListener: AnyObject {
    /// Returns the offset to start each partition at (the NEXT offset to read, from our own
    /// store); a partition missing from the result starts at the beginning of the log.
    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64]
    func partitionsRevoked(_ partitions: [TopicPartition])
}

/// State reached from librdkafka's rebalance callback.
private final class ConsumerContext: ClientContext, @unchecked Sendable {
    // @unchecked Sendable: the consumer is owned by one thread, and librdkafka only invokes
    // the rebalance callback from that thread (inside poll/close), so `listener` and
    // `currentAssignment` are never touched concurrently.
    var listener: RebalanceListener?
    var currentAssignment: [TopicPartition] = []
    var rebalanceError: KafkaError?
    /// Start offset of an assigned partition the listener gives no offset for.
    var defaultStartOffset: Int64 = RD.offsetBeginning
}

/// A group consumer. NOT Sendable: owned by one dedicated thread, which calls every method.
public final class KafkaConsumer {
    private var handle: RDKafkaHandle?
    private var queue: OpaquePointer?
    private let context: ConsumerContext
    private let logger: Logger
    private let topics: [String]
    /// `ConsumerConfiguration.readsTraceIds`: parse each record's headers for `trace-id`.
    private let readsTraceIds: Bool
    private var batch: [UnsafeMutablePointer<rd_kafka_message_t>?]
    /// Topic names by topic handle, so a batch does not build one String per record. The C
    /// name is kept to verify a reused handle address still names the same topic.
    private var topicNames: [OpaquePointer: (cName: ContiguousArray<CChar>, name: String)] = [:]

    public init(configuration: ConsumerConfiguration, listener: RebalanceListener?, logger: Logger) throws(KafkaError) {
        guard !configuration.topics.isEmpty else {
            throw KafkaError(code: .configuration, message: "consumer for group \(configuration.groupId) has no topics")
        }
        self.logger = logger
        self.topics = configuration.topics
        self.readsTraceIds = configuration.readsTraceIds
        let context = ConsumerContext(logger: logger)
        context.listener = listener
        context.defaultStartOffset = configuration.autoOffsetReset == .latest ? RD.offsetEnd : RD.offsetBeginning
        self.context = context
        self.batch = []
        let handle = try makeRDKafkaHandle(
            kind: .consumer, settings: configuration.librdkafkaSettings, context: context
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk, let opaque else { return }
                let ctx = Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue() as! ConsumerContext
                KafkaConsumer.rebalance(rk: rk, err: err, list: partitions, context: ctx)
            }
        }
        // Main queue (logs, errors) → consumer queue: one poll path serves everything.
        _ = rd_kafka_poll_set_consumer(handle.pointer)
        self.queue = rd_kafka_queue_get_consumer(handle.pointer)
        self.handle = handle
        let err = withPartitionList(configuration.topics.map { (TopicPartition(topic: $0, partition: RD.partitionUnassigned), nil) }) {
            rd_kafka_subscribe(handle.pointer, $0)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            close()
            throw .rd(err, "subscribe to \(configuration.topics.joined(separator: ", ")) (group \(configuration.groupId))", fallback: .configuration)
        }
    }

    deinit { close() }

    private static func rebalance(
        rk: OpaquePointer, err: rd_kafka_resp_err_t, list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        context: ConsumerContext
    ) {
        let assigned = list.map { partitions(of: $0) } ?? []
        let tps = assigned.map { TopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let starts = context.listener?.partitionsAssigned(tps) ?? [:]
            if let list, let elems = list.pointee.elems {
                for i in 0..<Int(list.pointee.cnt) {
                    elems[i].offset = starts[tps[i]] ?? context.defaultStartOffset
                }
            }
            let result = rd_kafka_assign(rk, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                context.rebalanceError = .rd(result, "assign \(tps)", fallback: .state)
                context.logger.error("rd_kafka_assign failed: \(RD.errorString(result.rawValue))")
            } else {
                context.currentAssignment = tps
            }
            context.logger.info(
                "partitions assigned",
                metadata: [
                    "partitions":
                        "\(tps.map { "\($0)@\(starts[$0].map(String.init) ?? (context.defaultStartOffset == RD.offsetEnd ? "end" : "beginning"))" })"
                ])
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            context.listener?.partitionsRevoked(tps)
            _ = rd_kafka_assign(rk, nil)
            context.currentAssignment = []
            context.logger.info("partitions revoked", metadata: ["partitions": "\(tps)"])
        default:
            context.logger.error("rebalance error: \(RD.errorString(err.rawValue)); dropping assignment")
            if !context.currentAssignment.isEmpty { context.listener?.partitionsRevoked(context.currentAssignment) }
            _ = rd_kafka_assign(rk, nil)
            context.currentAssignment = []
        }
    }

    private func requireOpen(_ what: String) throws(KafkaError) -> (OpaquePointer, OpaquePointer) {
        guard let handle, let queue else {
            throw KafkaError(code: .closed, message: "\(what): consumer is closed")
        }
        return (handle.pointer, queue)
    }

    /// BLOCKING: up to `maxRecords` records, waiting at most `timeoutMilliseconds` for the
    /// first. Rebalance callbacks run inside. Informational errors are logged; fatal ones throw.
    public func poll(maxRecords: Int, timeoutMilliseconds: Int) throws(KafkaError) -> [ConsumerRecord] {
        let (_, queue) = try requireOpen("poll")
        let capacity = max(1, maxRecords)
        if batch.count < capacity { batch = Array(repeating: nil, count: capacity) }
        var out: [ConsumerRecord] = []
        var fatal: KafkaError?
        // Take what is already there without waiting; only if nothing is, wait for the first
        // record and then take the rest that arrived with it.
        var got = consume(queue, timeout: 0, max: capacity, into: &out, fatal: &fatal)
        if got == 0 && fatal == nil && timeoutMilliseconds > 0 {
            got = consume(queue, timeout: timeoutMilliseconds, max: 1, into: &out, fatal: &fatal)
            if got > 0 && capacity > 1 && fatal == nil {
                _ = consume(queue, timeout: 0, max: capacity - 1, into: &out, fatal: &fatal)
            }
        }
        if let error = context.rebalanceError {
            context.rebalanceError = nil
            throw error
        }
        if let fatal { throw fatal }
        return out
    }

    /// One rd_kafka_consume_batch_queue call; returns how many messages (records or errors) it took.
    private func consume(
        _ queue: OpaquePointer, timeout: Int, max: Int, into out: inout [ConsumerRecord], fatal: inout KafkaError?
    ) -> Int {
        let n = batch.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_consume_batch_queue(queue, Int32(clamping: timeout), buffer.baseAddress, max)
        }
        guard n > 0 else {
            if n < 0 {
                let err = rd_kafka_last_error()
                fatal = fatal ?? .rd(err, "consume from \(topics.joined(separator: ", "))")
            }
            return 0
        }
        out.reserveCapacity(out.count + n)
        for i in 0..<n {
            guard let message = batch[i] else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            let topic = topicName(m.rkt)
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                handleError(m, topic: topic, message: message, fatal: &fatal)
                continue
            }
            let value = m.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
            let key = m.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
            var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let ts = rd_kafka_message_timestamp(message, &tsType)
            out.append(
                ConsumerRecord(
                    topic: topic, partition: m.partition, offset: m.offset, key: key, value: value,
                    timestampMilliseconds: ts, traceId: readsTraceIds ? RecordHeaders.traceId(of: message) : nil))
        }
        return n
    }

    private func topicName(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "?" }
        let cName = rd_kafka_topic_name(rkt)!
        if let cached = topicNames[rkt], cached.cName.withUnsafeBufferPointer({ strcmp($0.baseAddress!, cName) == 0 }) {
            return cached.name
        }
        let name = String(cString: cName)
        topicNames[rkt] = (ContiguousArray(name.utf8CString), name)
        return name
    }

    private func handleError(
        _ m: rd_kafka_message_t, topic: String, message: UnsafeMutablePointer<rd_kafka_message_t>,
        fatal: inout KafkaError?
    ) {
        let where_ = m.rkt == nil ? "consumer" : "topic \(topic) partition \(m.partition)"
        let text = String(cString: rd_kafka_message_errstr(message))
        switch m.err {
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            logger.debug("end of partition", metadata: ["topic": "\(topic)", "partition": "\(m.partition)"])
        case RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__INVALID_ARG:
            var reason = text
            if m.err == RD_KAFKA_RESP_ERR__FATAL, let rk = handle?.pointer {
                var buf = [CChar](repeating: 0, count: 512)
                let underlying = rd_kafka_fatal_error(rk, &buf, buf.count)
                reason =
                    "\(RD.errorName(underlying.rawValue)): \(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
            }
            logger.error("fatal consumer error on \(where_): \(reason)")
            fatal =
                fatal ?? KafkaError(code: RD.classify(m.err.rawValue, fallback: .other), message: "\(where_): \(reason)", rdkafkaCode: m.err.rawValue)
        default:
            // Transient broker errors, unknown (not yet created) topics, transport: librdkafka retries.
            logger.warning("consumer error on \(where_): \(text)", metadata: ["rdkafka.code": "\(m.err.rawValue)"])
        }
    }

    /// Stops fetching these partitions (e.g. a shard that cannot be written) until reassigned.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        let (rk, _) = try requireOpen("pause")
        try partitionOperation("pause", partitions.map { ($0, nil) }) { rd_kafka_pause_partitions(rk, $0) }
    }

    /// Resumes fetching paused partitions.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        let (rk, _) = try requireOpen("resume")
        try partitionOperation("resume", partitions.map { ($0, nil) }) { rd_kafka_resume_partitions(rk, $0) }
    }

    /// Repositions an assigned partition so the next record returned has `offset`.
    public func seek(_ partition: TopicPartition, offset: Int64) throws(KafkaError) {
        let (rk, _) = try requireOpen("seek")
        var failure: KafkaError?
        withPartitionList([(partition, offset)]) { list in
            if let error = rd_kafka_seek_partitions(rk, list, 5_000) {
                failure = KafkaError(
                    code: RD.classify(rd_kafka_error_code(error).rawValue, fallback: .other),
                    message: "seek \(partition) to \(offset): \(String(cString: rd_kafka_error_string(error)))",
                    rdkafkaCode: rd_kafka_error_code(error).rawValue)
                rd_kafka_error_destroy(error)
            } else if let elem = list.pointee.elems, elem[0].err != RD_KAFKA_RESP_ERR_NO_ERROR {
                failure = .rd(elem[0].err, "seek \(partition) to \(offset)", fallback: .state)
            }
        }
        if let failure { throw failure }
    }

    /// Asynchronous commit of the NEXT offsets (last processed + 1). A monitoring hint only:
    /// our offsets live in the shard files. Failures are logged.
    public func commit(_ offsets: [TopicPartition: Int64]) {
        guard let rk = handle?.pointer, !offsets.isEmpty else { return }
        let err = withPartitionList(offsets.map { ($0.key, $0.value) }) { rd_kafka_commit(rk, $0, 1) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.debug("offset commit (monitoring hint) not sent: \(RD.errorString(err.rawValue))")
        }
    }

    /// The offsets group `configuration.groupId` has committed for `topicPartitions` (the
    /// NEXT offsets; -1001, librdkafka's invalid offset, where none), as lag tools see them, asked of the group
    /// coordinator without joining the group. BLOCKING.
    public static func committedOffsets(
        configuration: ConsumerConfiguration, _ topicPartitions: [TopicPartition], timeoutMilliseconds: Int, logger: Logger
    ) throws(KafkaError) -> [TopicPartition: Int64] {
        let context = ClientContext(logger: logger)
        let handle = try makeRDKafkaHandle(kind: .consumer, settings: configuration.librdkafkaSettings, context: context)
        defer { withExtendedLifetime(context) { handle.destroy() } }
        var offsets: [TopicPartition: Int64] = [:]
        let err = withPartitionList(topicPartitions.map { ($0, nil) }) { list in
            let err = rd_kafka_committed(handle.pointer, list, Int32(clamping: timeoutMilliseconds))
            for elem in partitions(of: list) {
                offsets[TopicPartition(topic: String(cString: elem.topic), partition: elem.partition)] = elem.offset
            }
            return err
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw .rd(err, "committed offsets of group \(configuration.groupId)") }
        return offsets
    }

    /// High watermark of a partition (the offset the next record will get), asked of the
    /// broker. BLOCKING: call from the consumer's own thread.
    public func highWatermark(_ partition: TopicPartition, timeoutMilliseconds: Int) throws(KafkaError) -> Int64 {
        let (rk, _) = try requireOpen("highWatermark")
        return try queryWatermarks(
            rk, topic: partition.topic, partition: partition.partition, timeoutMilliseconds: timeoutMilliseconds
        ).high
    }

    /// The end offset of `partition` as the last fetch response from its leader gave it,
    /// without asking the broker (`rd_kafka_get_watermark_offsets`); nil while no fetch
    /// response for it has arrived. Never ahead of the true end, and never behind the end
    /// as it was before this consumer first fetched the partition. Costs no round trip:
    /// asking the broker waits behind the connection's outstanding fetch, up to
    /// `fetch.wait.max.ms`, for each partition.
    public func cachedHighWatermark(_ partition: TopicPartition) -> Int64? {
        guard let rk = handle?.pointer else { return nil }
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_get_watermark_offsets(rk, partition.topic, partition.partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return high
    }

    /// The partitions currently assigned to this consumer.
    public var assignment: [TopicPartition] {
        guard let rk = handle?.pointer else { return [] }
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return partitions(of: list).map { TopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
    }

    /// Leaves the group cleanly (the revoke callback runs here) and destroys the handle. Idempotent.
    public func close() {
        guard let handle else { return }
        let err = rd_kafka_consumer_close(handle.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close: \(RD.errorString(err.rawValue))")
        }
        // Drain what is left (logs) so no event outlives the handle.
        if let queue {
            while let event = rd_kafka_queue_poll(queue, 0) { rd_kafka_event_destroy(event) }
            rd_kafka_queue_destroy(queue)
        }
        queue = nil
        batch = []
        topicNames = [:]
        handle.destroy()
        self.handle = nil
        context.listener = nil  // break a possible listener ↔ consumer cycle
    }

    private func partitionOperation(
        _ what: String, _ partitions: [(TopicPartition, Int64?)],
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> rd_kafka_resp_err_t
    ) throws(KafkaError) {
        var failure: KafkaError?
        withPartitionList(partitions) { list in
            let err = body(list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                failure = .rd(err, "\(what) \(partitions.map { $0.0 })", fallback: .state)
                return
            }
            for elem in KafkaConsumer.elements(list) where elem.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                failure = .rd(elem.err, "\(what) \(String(cString: elem.topic))[\(elem.partition)]", fallback: .state)
                return
            }
        }
        if let failure { throw failure }
    }

    private static func elements(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [rd_kafka_topic_partition_t] {
        partitions(of: UnsafePointer(list))
    }
}
