import Kafka
import LoyaltyWire

extension Topics {
    /// Topic specs for `KafkaAdmin.createTopics`. The transactions topic is the truth the
    /// ledgers are rebuilt from, so it is never deleted by time or size.
    public func specs(partitions: Int32, replicationFactor: Int16) -> [KafkaAdmin.TopicSpec] {
        let forever = ["retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"]
        return [
            .init(name: transactions, partitions: partitions, replicationFactor: replicationFactor, configs: forever),
            .init(name: results, partitions: partitions, replicationFactor: replicationFactor, configs: [:]),
            .init(name: positions, partitions: 1, replicationFactor: replicationFactor, configs: forever),
            .init(name: deadLetters, partitions: 1, replicationFactor: replicationFactor, configs: forever),
            .init(name: settlements, partitions: 1, replicationFactor: replicationFactor, configs: forever),
            // One partition: one order of every card's records. Compacted, never deleted: the
            // newest record of each card stays, a blocked card stays known.
            .init(
                name: cards, partitions: 1, replicationFactor: replicationFactor,
                configs: ["cleanup.policy": "compact", "retention.ms": "-1", "retention.bytes": "-1"]),
        ]
    }
}
