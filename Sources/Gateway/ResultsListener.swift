import Foundation
import Kafka
import Logging
import LoyaltyWire
import NodeRuntime
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// Reads the results topic on a dedicated thread and hands each result to its waiter.
/// Every gateway instance must see ALL results (a waiter may sit on any instance), so
/// each uses its own consumer group and starts at the end of the log.
public final class ResultsListener: Service, Sendable {
    private let bootstrapServers: String
    private let topic: String
    private let fetchWaitMilliseconds: Int
    private let extra: [String: String]
    private let waiters: ResultWaiters
    private let logger: Logger
    private let stop = Atomic<Bool>(false)
    /// Polls completed since the partitions were assigned; ready after a few.
    private let progress = ListenerProgress()
    let groupId: String

    init(bootstrapServers: String, topic: String, fetchWaitMilliseconds: Int, extra: [String: String], waiters: ResultWaiters, logger: Logger) {
        self.bootstrapServers = bootstrapServers
        self.topic = topic
        self.fetchWaitMilliseconds = fetchWaitMilliseconds
        self.extra = extra
        self.waiters = waiters
        self.logger = logger
        self.groupId = "loyalty-gateway-\(UUID().uuidString.lowercased())"
    }

    /// true once partitions are assigned and positioned (a few polls after the assignment,
    /// so that the end offsets were resolved before a request relies on them).
    public var isAssigned: Bool { progress.pollsSinceAssignment.load(ordering: .relaxed) >= 3 }

    public func run() async throws {
        try await DedicatedThread.run(name: "gateway-results", stop: { self.stop.store(true, ordering: .relaxed) }) { try self.loop() }
    }

    private func loop() throws {
        var configuration = ConsumerConfiguration(bootstrapServers: bootstrapServers, groupId: groupId, topics: [topic])
        configuration.clientId = "loyalty-gateway-results"
        configuration.autoOffsetReset = .latest
        configuration.sessionTimeoutMilliseconds = 6_000
        // A waiter is a person at a till: do not let the broker hold an empty fetch for
        // librdkafka's default 500 ms. `extra` may override.
        configuration.fetchWaitMilliseconds = fetchWaitMilliseconds
        configuration.extra = extra
        let tracker = AssignmentTracker(progress: progress)
        let consumer = try KafkaConsumer(configuration: configuration, listener: tracker, logger: logger)
        defer { consumer.close() }
        while !stop.load(ordering: .relaxed) {
            let records: [ConsumerRecord]
            do {
                records = try consumer.poll(maxRecords: 10_000, timeoutMilliseconds: 100)
            } catch {
                logger.error("results listener poll failed: \(error)")
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if progress.pollsSinceAssignment.load(ordering: .relaxed) >= 0 {
                progress.pollsSinceAssignment.add(1, ordering: .relaxed)
            }
            for record in records {
                guard let result = try? Loyalty_V1_TransactionResult(serializedBytes: record.value) else {
                    logger.warning("undecodable record on \(record.topic)[\(record.partition)]@\(record.offset)")
                    continue
                }
                waiters.deliver(result)
            }
        }
    }
}

/// Shared between the poll thread and readiness checks.
final class ListenerProgress: Sendable {
    /// -1 while unassigned.
    let pollsSinceAssignment = Atomic<Int>(-1)
}

/// Marks the listener assigned; every partition starts at the end (no offsets of our own).
private final class AssignmentTracker: RebalanceListener {
    let progress: ListenerProgress
    init(progress: ListenerProgress) { self.progress = progress }
    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        progress.pollsSinceAssignment.store(0, ordering: .relaxed)
        return [:]
    }
    func partitionsRevoked(_ partitions: [TopicPartition]) {
        progress.pollsSinceAssignment.store(-1, ordering: .relaxed)
    }
}
