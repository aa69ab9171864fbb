import Foundation
import Kafka
import Ledger
import Logging
import LoyaltyWire
import Programme
import Simulation
import SwiftProtobuf
import Testing
import Worker

/// A mock cluster with the clearing house's topics, and the chores tests share.
final class TestCluster: @unchecked Sendable {  // immutable after init; MockCluster is thread-safe
    let cluster: MockCluster
    let topics = LoyaltyWire.Topics()
    let partitions: Int32
    let logger: Logger
    let directory: String

    init(partitions: Int32 = 4, brokers: Int = 1) throws {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        self.logger = logger
        self.partitions = partitions
        cluster = try MockCluster(brokers: brokers, logger: logger)
        try cluster.createTopics(topics.specs(partitions: partitions, replicationFactor: Int16(brokers)))
        directory = NSTemporaryDirectory() + "loyalty-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        cluster.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var bootstrap: String { cluster.bootstrapServers }

    func dataDirectory(_ name: String) -> String { "\(directory)/\(name)" }

    /// Publishes raw records keyed by member; returns the end offset per partition.
    @discardableResult
    func produce(_ records: [(key: String, value: [UInt8])]) throws -> [Int32: Int64] {
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
    func produce(_ transactions: [Transaction]) throws -> [Int32: Int64] {
        try produce(transactions.map { ($0.memberId, try Loyalty_V1_TransactionEnvelope($0).serializedBytes()) })
    }

    /// Every record of `topic` (all partitions) from the beginning, once `count` are in.
    func read(_ topic: String, atLeast count: Int, timeoutSeconds: Double = 60) throws -> [ConsumerRecord] {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap, groupId: "reader-\(UUID().uuidString)", topics: [topic]),
            listener: nil, logger: logger
        )
        defer { consumer.close() }
        var records: [ConsumerRecord] = []
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while records.count < count, Date() < deadline {
            records += try consumer.poll(maxRecords: 10_000, timeoutMilliseconds: 200)
        }
        return records
    }

    func results(atLeast count: Int) throws -> [Loyalty_V1_TransactionResult] {
        try read(topics.results, atLeast: count).map { try Loyalty_V1_TransactionResult(serializedBytes: $0.value) }
    }

    /// Shard digests and offsets of every shard file in a data directory.
    func digests(_ dataDirectory: String, programme: Programme = .sample) throws -> [Int32: (digest: String, nextOffset: Int64, totals: ShardTotals)] {
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
    func referenceRun(_ name: String, until ends: [Int32: Int64], programme: Programme = .sample) async throws -> String {
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

/// A deterministic stream of synthetic transactions.
func syntheticTransactions(_ count: Int, members: Int = 500, seed: UInt64 = 7) -> [Transaction] {
    var settings = SyntheticCoalition.Settings()
    settings.transactions = count
    settings.members = members
    settings.seed = seed
    return Array(SyntheticCoalition(programme: .sample, settings: settings))
}

/// Path of the `loyalty` executable built next to the test bundle.
func loyaltyExecutable() throws -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("loyalty").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/loyalty"
    try #require(FileManager.default.isExecutableFile(atPath: fallback), "build the loyalty executable first")
    return fallback
}

/// Waits for a child process without blocking a thread of the cooperative pool.
func exited(_ process: Process, timeoutSeconds: Double = 300) async throws {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning {
        guard Date() < deadline else {
            process.terminate()
            throw StillRunning(pid: process.processIdentifier, seconds: Int(timeoutSeconds))
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

struct StillRunning: Error, CustomStringConvertible {
    let pid: Int32
    let seconds: Int
    var description: String { "process \(pid) still running after \(seconds) s" }
}
