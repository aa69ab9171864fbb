import Foundation
import LoyaltyTesting

@testable import Kafka

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A mock cluster with one fresh topic, the start of most tests here; the caller shuts it
/// down (`defer { cluster.shutdown() }`).
func clusterWithTopic(
    _ prefix: String, brokers: Int = 1, partitions: Int32, replicationFactor: Int32 = 1
) throws -> (cluster: MockCluster, topic: String) {
    let cluster = try MockCluster(brokers: brokers, logger: testLogger())
    let topic = uniqueName(prefix)
    do {
        try cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor)
    } catch {
        cluster.shutdown()
        throw error
    }
    return (cluster, topic)
}

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
