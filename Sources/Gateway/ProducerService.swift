import Dispatch
import Kafka
import ServiceLifecycle

/// Owns the producers' lifetime in the ServiceGroup: on shutdown (after the HTTP server
/// stopped) each flushes what is in flight (at the same time, up to 10 s) and closes.
struct ProducerService: Service {
    let producers: [KafkaProducer]

    func run() async throws {
        try? await gracefulShutdown()
        await withTaskGroup(of: Void.self) { group in
            for producer in producers {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async {
                            producer.shutdown(flushTimeoutMilliseconds: 10_000)
                            continuation.resume()
                        }
                    }
                }
            }
        }
    }
}
