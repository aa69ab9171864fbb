import Foundation
import Logging
@testable import Kafka

func testLogger(_ label: String = "kafka-test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"] == "1" ? .debug : .error
    return logger
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Records the listener calls; optionally hands out start offsets.
final class RecordingListener: RebalanceListener, @unchecked Sendable {
    // @unchecked Sendable: used only from the thread that polls its consumer.
    var starts: [TopicPartition: Int64]
    var assigned: [[TopicPartition]] = []
    var revoked: [[TopicPartition]] = []

    init(starts: [TopicPartition: Int64] = [:]) { self.starts = starts }

    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        assigned.append(partitions)
        return starts
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) { revoked.append(partitions) }
}

/// Polls until `count` records arrived or the deadline passed.
func consume(_ consumer: KafkaConsumer, count: Int, timeoutSeconds: Double) throws -> [ConsumerRecord] {
    var records: [ConsumerRecord] = []
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while records.count < count && Date() < deadline {
        records += try consumer.poll(maxRecords: 10_000, timeoutMilliseconds: 100)
    }
    return records
}

func producerConfig(_ cluster: MockCluster) -> ProducerConfiguration {
    var config = ProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
    config.lingerMilliseconds = 1
    return config
}

func consumerConfig(_ cluster: MockCluster, group: String, topics: [String]) -> ConsumerConfiguration {
    var config = ConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupId: group, topics: topics)
    config.sessionTimeoutMilliseconds = 6_000
    return config
}
