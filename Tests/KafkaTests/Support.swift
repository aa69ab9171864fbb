import Foundation
@testable import Kafka

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
