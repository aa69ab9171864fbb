import CRdKafka
import Foundation
import Logging
import Synchronization

/// Hosts librdkafka's in-process mock cluster (rdkafka_mock.h): the real Kafka protocol on
/// loopback ports, usable by this and other processes through `bootstrapServers`.
///
/// Known limits of librdkafka 2.0.2's mock: it keeps only ~5 MiB / 100,000 messages per
/// partition; it does not hide aborted transactions; groups need short session timeouts.
public final class MockCluster: @unchecked Sendable {
    // @unchecked Sendable: the mock cluster API is thread-safe (every call is posted to the
    // cluster's own thread); `cluster` is only destroyed under `state`'s lock, and every
    // other call takes that lock to check the cluster is still alive.
    private struct State: @unchecked Sendable {
        // @unchecked: the raw pointer is only used under the Mutex.
        var cluster: OpaquePointer?
    }

    private let state: Mutex<State>
    private let handle: RDKafkaHandle
    private let context: ClientContext
    private let pollThread: PollThread
    private let logger: Logger
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 3, logger: Logger) throws(KafkaError) {
        guard brokers > 0 else {
            throw KafkaError(code: .configuration, message: "mock cluster needs at least one broker, got \(brokers)")
        }
        self.logger = logger
        self.brokerCount = brokers
        let context = ClientContext(logger: logger)
        self.context = context
        // A client handle the mock cluster needs for its bookkeeping; it talks to no broker.
        // The mock brokers' sockets take their options from it: without TCP_NODELAY (which
        // real Kafka brokers set) a client sending a few requests and then waiting, as a
        // worker publishing a round's results does, got the last responses ~40 ms late
        // (Nagle on the mock's side against the client's delayed ACK).
        let handle = try makeRDKafkaHandle(
            kind: .producer, settings: [("client.id", "mock-cluster-host"), ("socket.nagle.disable", "true")], context: context)
        guard let cluster = rd_kafka_mock_cluster_new(handle.pointer, Int32(brokers)) else {
            handle.destroy()
            throw KafkaError(code: .other, message: "could not start the librdkafka mock cluster with \(brokers) brokers")
        }
        self.handle = handle
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        self.state = Mutex(State(cluster: cluster))
        self.pollThread = PollThread(name: "kafka-mock-poll") { rd_kafka_poll(handle.pointer, 200) }
        logger.info("mock Kafka cluster started", metadata: ["bootstrap": "\(bootstrapServers)", "brokers": "\(brokers)"])
    }

    deinit { shutdown() }

    private func withCluster<R: Sendable>(_ what: String, _ body: (OpaquePointer) -> R) throws(KafkaError) -> R {
        let result: R? = state.withLock { s in s.cluster.map(body) }
        guard let result else { throw KafkaError(code: .closed, message: "\(what): mock cluster is shut down") }
        return result
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32) throws(KafkaError) {
        let err = try withCluster("createTopic \(name)") { rd_kafka_mock_topic_create($0, name, partitions, replicationFactor) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw .rd(err, "mock: create topic \(name) (\(partitions) partitions, replication \(replicationFactor))")
        }
    }

    /// Creates the topics that do not exist yet; an existing topic must have the configured
    /// partition count. (The mock ignores topic configs.)
    public func createTopics(_ specs: [KafkaAdmin.TopicSpec], timeoutMilliseconds: Int = 10_000) throws(KafkaError) {
        let existing = Set(try KafkaAdmin.existingTopics(bootstrapServers: bootstrapServers, timeoutMilliseconds: timeoutMilliseconds))
        for spec in specs where !existing.contains(spec.name) {
            try createTopic(spec.name, partitions: spec.partitions, replicationFactor: Int32(spec.replicationFactor))
        }
        try KafkaAdmin.createTopics(specs, bootstrapServers: bootstrapServers, timeoutMilliseconds: timeoutMilliseconds, logger: logger)
    }

    /// Takes broker `brokerId` (1...brokerCount) down: its listener and connections close.
    /// Returns false (and logs) if the mock refused, e.g. for an unknown broker id.
    @discardableResult
    public func setBrokerDown(_ brokerId: Int32) -> Bool {
        mockCall("set broker \(brokerId) down") { rd_kafka_mock_broker_set_down($0, brokerId) }
    }

    /// Brings broker `brokerId` back up. Returns false (and logs) if the mock refused.
    @discardableResult
    public func setBrokerUp(_ brokerId: Int32) -> Bool {
        mockCall("set broker \(brokerId) up") { rd_kafka_mock_broker_set_up($0, brokerId) }
    }

    /// Broker ids run from 1 to `brokerCount`.
    @discardableResult
    public func setAllBrokers(up: Bool) -> Bool {
        var ok = true
        for id in 1...Int32(brokerCount) {
            ok = (up ? setBrokerUp(id) : setBrokerDown(id)) && ok
        }
        return ok
    }

    /// The next `errors.count` requests with `apiKey` (e.g. 0 = Produce) fail with these
    /// `rd_kafka_resp_err_t` codes, in order.
    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        _ = mockCall("push request errors for api key \(apiKey)") { cluster in
            codes.withUnsafeBufferPointer {
                rd_kafka_mock_push_request_errors_array(cluster, apiKey, $0.count, $0.baseAddress)
            }
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    private func mockCall(_ what: String, _ body: (OpaquePointer) -> rd_kafka_resp_err_t) -> Bool {
        let err: rd_kafka_resp_err_t? = state.withLock { s in s.cluster.map(body) }
        guard let err else {
            logger.error("mock cluster: cannot \(what): the cluster is shut down")
            return false
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.error("mock cluster: cannot \(what): \(RD.errorString(err.rawValue))")
            return false
        }
        return true
    }

    /// Moves a partition's leadership (e.g. to exercise leader changes).
    public func setPartitionLeader(topic: String, partition: Int32, brokerId: Int32) throws(KafkaError) {
        let err = try withCluster("setPartitionLeader") { rd_kafka_mock_partition_set_leader($0, topic, partition, brokerId) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw .rd(err, "mock: set leader of \(topic)[\(partition)] to \(brokerId)") }
    }

    /// Writes the bootstrap address to `path` atomically (temp file + rename), so processes
    /// that poll for the file never read a half-written one.
    public func writeBootstrap(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        try Data((bootstrapServers + "\n").utf8).write(to: temp)
        if rename(temp.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temp)
            throw KafkaError(code: .other, message: "cannot rename \(temp.path) to \(path): \(String(cString: strerror(code)))")
        }
    }

    /// Stops the brokers and destroys the host handle. Idempotent.
    public func shutdown() {
        let cluster: OpaquePointer? = state.withLock { s in
            defer { s.cluster = nil }
            return s.cluster
        }
        guard let cluster else { return }
        rd_kafka_mock_cluster_destroy(cluster)
        pollThread.stopAndJoin()
        rd_kafka_poll(handle.pointer, 0)
        handle.destroy()
        withExtendedLifetime(context) {}
    }
}
