import Kafka

/// Names of the topics the clearing house uses, and how to create them.
public struct Topics: Sendable, Equatable {
    /// Partner transactions and the clearing node's barriers; keyed by member id.
    public var transactions = "loyalty.transactions"
    /// One TransactionResult per transaction and per balance inquiry.
    public var results = "loyalty.results"
    /// ShardPosition per (cycle, partition), keyed by cycle.
    public var positions = "loyalty.positions"
    /// Records that could not be applied, with the reason.
    public var deadLetters = "loyalty.dead-letters"
    /// SettlementInstruction events of settled cycles.
    public var settlements = "loyalty.settlements"

    public init() {}

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
        ]
    }
}
