import Dispatch
import Kafka
import ServiceLifecycle

/// Owns the producer's lifetime in the ServiceGroup: on shutdown (after the HTTP server
/// stopped) it flushes what is in flight and closes.
struct ProducerService: Service {
    let producer: KafkaProducer

    func run() async throws {
        try? await gracefulShutdown()
        let producer = self.producer
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                producer.shutdown(flushTimeoutMilliseconds: 10_000)
                continuation.resume()
            }
        }
    }
}
