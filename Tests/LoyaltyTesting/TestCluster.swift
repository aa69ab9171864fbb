import Foundation
import Kafka
import Ledger
import Logging
import LoyaltyWire
import Programme
import SwiftProtobuf
import Worker

/// A mock cluster with the clearing house's topics, a scratch directory, and the chores
/// tests share: publish, read a topic from the beginning, count what a topic holds, open
/// the shard files a run left, and run an undisturbed reference worker to compare with.
public final class TestCluster: @unchecked Sendable {  // immutable after init; MockCluster is thread-safe
    public let cluster: MockCluster
    public let topics = LoyaltyWire.Topics()
    public let partitions: Int32
    public let logger: Logger
    public let directory: String

    /// `label` names the logger and the scratch directory (loyalty-<label>-<uuid>).
    public init(partitions: Int32 = 4, brokers: Int = 1, label: String = "test", logLevel: Logger.Level = .error) throws {
        logger = testLogger(label, level: logLevel)
        self.partitions = partitions
        cluster = try MockCluster(brokers: brokers, logger: logger)
        try cluster.createTopics(topics.specs(partitions: partitions, replicationFactor: Int16(brokers)))
        directory = NSTemporaryDirectory() + "loyalty-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        cluster.shutdown()  // idempotent: a harness may have shut it down already
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var bootstrap: String { cluster.bootstrapServers }

    public func dataDirectory(_ name: String) -> String { "\(directory)/\(name)" }

    /// Publishes raw records keyed by member; returns the end offset per partition.
    @discardableResult
    public func produce(_ records: [(key: String, value: [UInt8])]) throws -> [Int32: Int64] {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        defer { producer.shutdown() }
        let metadata = try producer.sendAllBlocking(
            records.map { ProducerRecord(topic: topics.transactions, partition: nil, key: Array($0.key.utf8), value: $0.value) },
            timeoutMilliseconds: 60_000
        )
        var ends: [Int32: Int64] = [:]
        for item in metadata { ends[item.partition] = max(ends[item.partition] ?? 0, item.offset + 1) }
        return ends
    }

    @discardableResult
    public func produce(_ transactions: [Transaction]) throws -> [Int32: Int64] {
        try produce(transactions.map { ($0.memberId, try Loyalty_V1_TransactionEnvelope($0).serializedBytes()) })
    }

    /// Every record of `topic` (all partitions) from the beginning, once `count` are in.
    public func read(_ topic: String, atLeast count: Int, timeoutSeconds: Double = 60) throws -> [ConsumerRecord] {
        try read(topic, timeoutSeconds: timeoutSeconds) { $0.count >= count }
    }

    /// Records of `topic` from the beginning until `done` says so (or the time is up).
    public func read(_ topic: String, timeoutSeconds: Double, until done: ([ConsumerRecord]) -> Bool) throws -> [ConsumerRecord] {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap, groupId: "reader-\(UUID().uuidString)", topics: [topic]),
            listener: nil, logger: logger
        )
        defer { consumer.close() }
        return try consume(consumer, timeoutSeconds: timeoutSeconds, until: done)
    }

    public func results(atLeast count: Int) throws -> [Loyalty_V1_TransactionResult] {
        try read(topics.results, atLeast: count).map { try Loyalty_V1_TransactionResult(serializedBytes: $0.value) }
    }

    /// How many records `topic` holds: the sum of its partitions' high watermarks.
    public func recordCount(_ topic: String) throws -> Int64 {
        var total: Int64 = 0
        for partition in 0..<partitions {
            total += try KafkaAdmin.watermarks(
                topic: topic, partition: partition, bootstrapServers: bootstrap, timeoutMilliseconds: 10_000, logger: logger
            ).high
        }
        return total
    }

    /// Per partition: a shard file's digest, the next offset it would apply, its totals.
    public typealias Digests = [Int32: (digest: String, nextOffset: Int64, totals: ShardTotals)]

    /// Shard digests and offsets of every shard file in a data directory.
    public func digests(_ dataDirectory: String, programme: Programme = .sample) throws -> Digests {
        var result: [Int32: (String, Int64, ShardTotals)] = [:]
        for partition in 0..<partitions {
            let path = WorkerConfiguration.shardPath(dataDirectory: dataDirectory, partition: partition)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let shard = try Shard(path: path, partition: partition, programme: programme)
            defer { shard.close() }
            result[partition] = (try shard.digest(), try shard.nextOffset(), try shard.totals())
        }
        return result
    }

    /// Runs one in-process worker over everything published so far, undisturbed.
    public func referenceRun(_ name: String, until ends: [Int32: Int64], programme: Programme = .sample) async throws -> String {
        let data = dataDirectory(name)
        let pool = WorkerPool(
            count: 1, bootstrapServers: bootstrap, dataDirectory: data, programme: programme,
            groupId: "reference-\(name)", logger: logger
        ) { $0.publishOutputs = false }
        try await pool.waitUntilApplied(ends, timeoutSeconds: 240)
        try await pool.stop()
        return data
    }
}
