import ArgumentParser
import Foundation
import Kafka
import Logging
import LoyaltyWire
import ServiceLifecycle
import UnixSignals
import Worker

/// Hosts librdkafka's mock cluster so several processes (workers, producers, kcat)
/// can share one embedded Kafka during development and tests.
struct Broker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Host an embedded Kafka (librdkafka's mock cluster) until interrupted.",
        discussion: """
            Prints the bootstrap address and writes it to --bootstrap-file, where the other \
            commands look by default. The topics are created with --partitions partitions. \
            Everything is in memory: stopping the broker loses the log, so delete the \
            shard files of workers that used it.
            """
    )

    @Option(help: "Number of mock brokers.") var brokers = 3
    @Option(help: "Partitions of the transactions topic (= number of shards).") var partitions: Int32 = 8
    @Option(name: .customLong("bootstrap-file"), help: "Where to write the bootstrap address.")
    var bootstrapFile = "var/bootstrap.txt"
    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = try log.bootstrap(label: "loyalty.broker")
        let cluster = try MockCluster(brokers: brokers, logger: logger)
        try cluster.createTopics(LoyaltyWire.Topics().specs(partitions: partitions, replicationFactor: Int16(min(brokers, 3))))
        try FileManager.default.createDirectory(
            atPath: (bootstrapFile as NSString).deletingLastPathComponent.isEmpty
                ? "." : (bootstrapFile as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try cluster.writeBootstrap(to: bootstrapFile)
        print("embedded Kafka on \(cluster.bootstrapServers) (written to \(bootstrapFile)); Ctrl-C to stop")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: HostedCluster(cluster: cluster))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

/// Keeps the mock cluster alive until graceful shutdown.
struct HostedCluster: Service {
    let cluster: MockCluster

    func run() async throws {
        try? await gracefulShutdown()
        cluster.shutdown()
    }
}

struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create the clearing house's topics on a Kafka cluster.",
        discussion: """
            Idempotent: topics that already exist with the same partition count are left as they are. \
            Nothing is created when --replication-factor exceeds the brokers the cluster lists: the error \
            says which value to pass.
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @Option(help: "Partitions of the transactions topic (= number of shards). Fixed for the life of the programme.")
    var partitions: Int32 = 8
    @Option(help: "Replication factor (3 in production).") var replicationFactor: Int16 = 3
    @OptionGroup var log: LogOptions

    func run() async throws {
        _ = try log.bootstrap(label: "loyalty.topics")
        let bootstrapServers = try kafka.resolvedBootstrapServers()
        let brokers = try KafkaAdmin.brokerCount(bootstrapServers: bootstrapServers, extra: try kafka.extra(), timeoutMilliseconds: 30_000)
        if let refusal = Self.replicationRefusal(replicationFactor, brokers: brokers) { throw CLIError(refusal) }
        let specs = LoyaltyWire.Topics().specs(partitions: partitions, replicationFactor: replicationFactor)
        try KafkaAdmin.createTopics(specs, bootstrapServers: bootstrapServers, extra: try kafka.extra(), timeoutMilliseconds: 30_000)
        for spec in specs { print("\(spec.name): \(spec.partitions) partitions") }
    }
}

extension TopicsCommand {
    func validate() throws {
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1, got \(partitions)") }
        guard replicationFactor >= 1 else { throw ValidationError("--replication-factor must be at least 1, got \(replicationFactor)") }
    }

    /// Why `replicationFactor` cannot be used on a cluster of `brokers`; nil when it can.
    static func replicationRefusal(_ replicationFactor: Int16, brokers: Int) -> String? {
        guard Int(replicationFactor) > brokers else { return nil }
        return "replication factor \(replicationFactor) > \(brokers) broker(s) in the cluster: pass --replication-factor \(max(1, brokers)) "
            + "(or add brokers; production wants 3 on at least 3)"
    }
}
