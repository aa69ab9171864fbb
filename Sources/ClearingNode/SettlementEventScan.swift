import Foundation
import Kafka
import Logging
import LoyaltyWire
import SwiftProtobuf

/// Reads the settlements topic to find which instruction events of a cycle are already
/// there: the clearing node publishes only the missing ones, so a restart after a crash
/// never doubles an event. Only runs when something may be there (offset < high watermark).
enum SettlementEventScan {
    static func sequences(
        cycle: Int64, from offset: Int64, configuration: ClearingConfiguration, logger: Logger
    ) throws -> Set<Int32> {
        let high = try AdminQueries.highWatermark(topic: configuration.topics.settlements, configuration: configuration, logger: logger)
        guard offset < high else { return [] }
        let listener = StartAt(offset: offset)
        var consumerConfiguration = ConsumerConfiguration(
            bootstrapServers: configuration.bootstrapServers,
            groupId: "loyalty-clearing-scan-\(UUID().uuidString)",
            topics: [configuration.topics.settlements]
        )
        consumerConfiguration.extra = configuration.kafkaExtra
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, listener: listener, logger: logger)
        defer { consumer.close() }
        var found: Set<Int32> = []
        var next = offset
        let deadline = Date().addingTimeInterval(60)
        while next < high {
            guard Date() < deadline else {
                throw ClearingNodeError("could not read the settlements topic from offset \(offset) to \(high) within 60 s")
            }
            for record in try consumer.poll(maxRecords: 1_000, timeoutMilliseconds: 200) {
                next = max(next, record.offset + 1)
                if let event = try? Loyalty_V1_SettlementInstruction(serializedBytes: record.value), event.cycle == cycle {
                    found.insert(event.sequence)
                }
            }
        }
        return found
    }

    private final class StartAt: RebalanceListener {
        let offset: Int64
        init(offset: Int64) { self.offset = offset }

        func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, offset) })
        }

        func partitionsRevoked(_ partitions: [TopicPartition]) {}
    }
}

enum AdminQueries {
    static func highWatermark(topic: String, configuration: ClearingConfiguration, logger: Logger) throws -> Int64 {
        try KafkaAdmin.watermarks(
            topic: topic, partition: 0, bootstrapServers: configuration.bootstrapServers,
            extra: configuration.kafkaExtra, timeoutMilliseconds: 10_000, logger: logger
        ).high
    }
}
