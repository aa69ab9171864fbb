import CRdKafka
import Foundation
import Logging

/// One-shot administrative operations, each on a temporary client handle.
public enum KafkaAdmin {
    public struct TopicSpec: Sendable, Equatable {
        public var name: String
        public var partitions: Int32
        public var replicationFactor: Int16
        public var configs: [String: String]

        public init(name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    /// Creates `topics`. A topic that already exists with the same partition count is fine;
    /// any other failure throws, naming the topic.
    public static func createTopics(
        _ topics: [TopicSpec], bootstrapServers: String, extra: [String: String] = [:],
        timeoutMilliseconds: Int, logger: Logger = Logger(label: "kafka.admin")
    ) throws(KafkaError) {
        guard !topics.isEmpty else { return }
        try withTemporaryHandle(bootstrapServers: bootstrapServers, extra: extra, logger: logger) { rk throws(KafkaError) in
            if let clusterId = rd_kafka_clusterid(rk, Int32(clamping: timeoutMilliseconds)) {
                let isMock = String(cString: clusterId).hasPrefix("mockCluster")
                rd_kafka_mem_free(rk, clusterId)
                if isMock {
                    // librdkafka 2.0.2's mock advertises ControllerId 0, a broker that does not
                    // exist (ids start at 1), so CreateTopics waits for a controller forever.
                    try verifyExisting(rk, topics, timeoutMilliseconds: timeoutMilliseconds)
                    return
                }
            }
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
            for spec in topics {
                guard let t = rd_kafka_NewTopic_new(spec.name, spec.partitions, Int32(spec.replicationFactor), &errstr, errstr.count) else {
                    throw KafkaError(code: .configuration, message: "topic \(spec.name): \(cString(errstr))")
                }
                newTopics.append(t)
                for (key, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(t, key, value)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        throw .rd(err, "topic \(spec.name) config \(key)=\(value)", fallback: .configuration)
                    }
                }
            }
            let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(clamping: timeoutMilliseconds), &errstr, errstr.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, Int32(clamping: timeoutMilliseconds), &errstr, errstr.count)
            let queue = rd_kafka_queue_new(rk)
            defer { rd_kafka_queue_destroy(queue) }
            newTopics.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_CreateTopics(rk, buffer.baseAddress, buffer.count, options, queue)
            }
            guard let event = rd_kafka_queue_poll(queue, Int32(clamping: timeoutMilliseconds + 1_000)) else {
                throw KafkaError(code: .timedOut, message: "CreateTopics \(topics.map(\.name)) got no answer within \(timeoutMilliseconds) ms")
            }
            defer { rd_kafka_event_destroy(event) }
            let eventErr = rd_kafka_event_error(event)
            if eventErr != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
                throw KafkaError(
                    code: RD.classify(eventErr.rawValue, fallback: .other),
                    message: "CreateTopics \(topics.map(\.name)) failed: \(text)", rdkafkaCode: eventErr.rawValue)
            }
            guard let result = rd_kafka_event_CreateTopics_result(event) else {
                throw KafkaError(code: .other, message: "CreateTopics: unexpected event type \(rd_kafka_event_type(event))")
            }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
            for i in 0..<count {
                let r = results[i]
                let name = String(cString: rd_kafka_topic_result_name(r))
                let err = rd_kafka_topic_result_error(r)
                if err == RD_KAFKA_RESP_ERR_NO_ERROR { continue }
                let text = rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? RD.errorString(err.rawValue)
                if err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                    let wanted = topics.first { $0.name == name }?.partitions ?? 0
                    let actual = try fetchPartitionCount(rk, topic: name, timeoutMilliseconds: timeoutMilliseconds)
                    if actual == wanted { continue }
                    throw KafkaError(
                        code: .configuration,
                        message:
                            "topic \(name) already exists with \(actual) partitions, configured \(wanted); partition counts cannot be changed without re-sharding",
                        rdkafkaCode: err.rawValue)
                }
                throw KafkaError(
                    code: RD.classify(err.rawValue, fallback: .other), message: "create topic \(name): \(text)", rdkafkaCode: err.rawValue)
            }
        }
    }

    /// Succeeds when every topic exists with its configured partition count (topics on the
    /// mock cluster are created by the hosting process through `MockCluster.createTopics`).
    private static func verifyExisting(_ rk: OpaquePointer, _ topics: [TopicSpec], timeoutMilliseconds: Int) throws(KafkaError) {
        var metadata: UnsafePointer<rd_kafka_metadata_t>?
        let err = rd_kafka_metadata(rk, 1, nil, &metadata, Int32(clamping: timeoutMilliseconds))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw .rd(err, "metadata request (to check topics \(topics.map(\.name))) failed")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var existing: [String: Int32] = [:]
        if let list = metadata.pointee.topics {
            for i in 0..<Int(metadata.pointee.topic_cnt) where list[i].err == RD_KAFKA_RESP_ERR_NO_ERROR {
                existing[String(cString: list[i].topic)] = list[i].partition_cnt
            }
        }
        for spec in topics {
            guard let actual = existing[spec.name] else {
                throw KafkaError(
                    code: .unknownTopicOrPartition,
                    message:
                        "topic \(spec.name) does not exist on the librdkafka mock cluster, whose CreateTopics is unusable (it advertises a controller that does not exist); create it in the process hosting the mock with MockCluster.createTopics"
                )
            }
            if actual != spec.partitions {
                throw KafkaError(
                    code: .configuration,
                    message:
                        "topic \(spec.name) already exists with \(actual) partitions, configured \(spec.partitions); partition counts cannot be changed without re-sharding"
                )
            }
        }
    }

    /// Low and high watermarks of one partition (high = offset the next record will get).
    public static func watermarks(
        topic: String, partition: Int32, bootstrapServers: String, extra: [String: String] = [:],
        timeoutMilliseconds: Int, logger: Logger = Logger(label: "kafka.admin")
    ) throws(KafkaError) -> (low: Int64, high: Int64) {
        try withTemporaryHandle(bootstrapServers: bootstrapServers, extra: extra, logger: logger) { rk throws(KafkaError) in
            try queryWatermarks(rk, topic: topic, partition: partition, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// Partition count of a topic, from metadata.
    public static func partitionCount(
        topic: String, bootstrapServers: String, extra: [String: String] = [:],
        timeoutMilliseconds: Int, logger: Logger = Logger(label: "kafka.admin")
    ) throws(KafkaError) -> Int32 {
        try withTemporaryHandle(bootstrapServers: bootstrapServers, extra: extra, logger: logger) { rk throws(KafkaError) in
            try fetchPartitionCount(rk, topic: topic, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    static func withTemporaryHandle<R>(
        bootstrapServers: String, extra: [String: String], logger: Logger,
        _ body: (OpaquePointer) throws(KafkaError) -> R
    ) throws(KafkaError) -> R {
        let context = ClientContext(logger: logger)
        var settings: [(String, String)] = [("bootstrap.servers", bootstrapServers)]
        settings += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        // A metadata request naming a missing topic must not create it with the broker's
        // default partition count (brokers with auto.create.topics.enable=true).
        settings += [("allow.auto.create.topics", "false")]
        let handle = try makeRDKafkaHandle(kind: .producer, settings: settings, context: context)
        defer {
            rd_kafka_poll(handle.pointer, 0)  // forward queued logs before the handle goes
            handle.destroy()
            withExtendedLifetime(context) {}
        }
        return try body(handle.pointer)
    }
}

func queryWatermarks(_ rk: OpaquePointer, topic: String, partition: Int32, timeoutMilliseconds: Int) throws(KafkaError) -> (low: Int64, high: Int64) {
    var low: Int64 = 0
    var high: Int64 = 0
    let err = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, Int32(clamping: timeoutMilliseconds))
    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
        throw .rd(err, "watermarks of topic \(topic) partition \(partition)")
    }
    return (low, high)
}

func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension KafkaAdmin {
    /// Brokers the cluster's metadata lists (what a replication factor may not exceed).
    public static func brokerCount(
        bootstrapServers: String, extra: [String: String] = [:], timeoutMilliseconds: Int,
        logger: Logger = Logger(label: "kafka.admin")
    ) throws(KafkaError) -> Int {
        try withTemporaryHandle(bootstrapServers: bootstrapServers, extra: extra, logger: logger) { rk throws(KafkaError) in
            var metadata: UnsafePointer<rd_kafka_metadata_t>?
            // all_topics = 0 with no topic: brokers only, nothing created.
            let err = rd_kafka_metadata(rk, 0, nil, &metadata, Int32(clamping: timeoutMilliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw .rd(err, "metadata request (list brokers) failed") }
            defer { rd_kafka_metadata_destroy(metadata) }
            return Int(metadata.pointee.broker_cnt)
        }
    }

    /// Names of the topics the cluster reports (no auto-creation).
    public static func existingTopics(
        bootstrapServers: String, extra: [String: String] = [:], timeoutMilliseconds: Int,
        logger: Logger = Logger(label: "kafka.admin")
    ) throws(KafkaError) -> [String] {
        try withTemporaryHandle(bootstrapServers: bootstrapServers, extra: extra, logger: logger) { rk throws(KafkaError) in
            var metadata: UnsafePointer<rd_kafka_metadata_t>?
            let err = rd_kafka_metadata(rk, 1, nil, &metadata, Int32(clamping: timeoutMilliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw .rd(err, "metadata request (list topics) failed") }
            defer { rd_kafka_metadata_destroy(metadata) }
            guard let list = metadata.pointee.topics else { return [] }
            return (0..<Int(metadata.pointee.topic_cnt)).filter { list[$0].err == RD_KAFKA_RESP_ERR_NO_ERROR }
                .map { String(cString: list[$0].topic) }
        }
    }
}
