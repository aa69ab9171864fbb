import Hummingbird
import Kafka
import LoyaltyWire
import Prometheus
import SwiftProtobuf

/// Publishing one envelope and turning Kafka's refusals into answers.
extension Gateway {
    func publish(_ envelope: Loyalty_V1_TransactionEnvelope) async throws(EdgeError) -> RecordMetadata {
        let value: [UInt8]
        do { value = try envelope.serializedBytes() } catch { throw .badRequest("body", "cannot serialize: \(error)") }
        let record = ProducerRecord(
            topic: configuration.topics.transactions, key: Array(envelope.memberID.utf8), value: value, traceId: envelope.traceID)
        do {
            let metadata = try await producer.send(record)
            metrics.published.increment()
            return metadata
        } catch {
            throw publishFailure(error)
        }
    }

    func publishFailure(_ error: KafkaError) -> EdgeError {
        if error.code == .queueFull {
            metrics.overloaded.increment()
            return EdgeError(
                status: .tooManyRequests, field: "kafka", reason: "overloaded: producer queue full",
                retryAfterSeconds: configuration.retryAfterSeconds)
        }
        return EdgeError(
            status: .serviceUnavailable, field: "kafka", reason: "not acknowledged by Kafka: \(error.message)",
            retryAfterSeconds: configuration.retryAfterSeconds)
    }
}
