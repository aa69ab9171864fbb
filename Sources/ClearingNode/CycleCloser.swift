import Foundation
import Kafka
import LoyaltyWire
import SwiftProtobuf

/// Closes cycles: records the next cycle as CLOSING, then writes a barrier into every
/// partition of the transactions topic and waits for Kafka's acks. Writing the barriers
/// again is harmless: a worker that already sealed the cycle republishes its position.
struct CycleCloser {
    let store: ClearingStore
    let producer: KafkaProducer
    let topics: Topics

    func closeNext(nowMilliseconds: Int64) throws -> CycleRecord {
        let partitions = try producer.partitionCount(topic: topics.transactions, timeoutMilliseconds: 10_000)
        let record = try store.openNextClosing(closedAtMilliseconds: nowMilliseconds, partitions: partitions)
        try sendBarriers(record)
        return try store.cycle(record.cycle) ?? record
    }

    func sendBarriers(_ record: CycleRecord) throws {
        let value: [UInt8] = try Loyalty_V1_TransactionEnvelope.barrier(
            cycle: record.cycle, closedAtMilliseconds: record.closedAtMilliseconds,
            accrualSuspended: try store.accrualSuspended(record.cycle)
        ).serializedBytes()
        let barriers = (0..<record.partitions).map {
            ProducerRecord(topic: topics.transactions, partition: $0, key: nil, value: value)
        }
        _ = try producer.sendAllBlocking(barriers, timeoutMilliseconds: 30_000)
        try store.markBarriersSent(record.cycle)
    }
}
