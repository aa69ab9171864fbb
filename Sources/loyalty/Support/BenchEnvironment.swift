import ArgumentParser
import Foundation
import Kafka
import Logging
import LoyaltyWire
import Worker

/// What every benchmark starts from: a wiped working directory, quiet logs, and an
/// embedded one-broker cluster with the clearing house's topics.
struct BenchEnvironment {
    let logger: Logger
    let cluster: MockCluster
    let topics = LoyaltyWire.Topics()

    init(data: String, partitions: Int32) throws {
        logger = try LogOptions.parse(["--log-level", "error"]).bootstrap(label: "loyalty.bench")
        let files = FileManager.default
        if files.fileExists(atPath: data) { try files.removeItem(atPath: data) }
        try files.createDirectory(atPath: data, withIntermediateDirectories: true)
        cluster = try MockCluster(brokers: 1, logger: logger)
        try cluster.createTopics(topics.specs(partitions: partitions, replicationFactor: 1))
    }
}
