import Dispatch
import Hummingbird

/// GET /ready: the producer reaches the transactions topic and the results listener is assigned.
extension Gateway {
    func ready() async -> Response {
        let producer = self.producer
        let topic = configuration.topics.transactions
        let reachable: Bool = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let count = try? producer.partitionCount(topic: topic, timeoutMilliseconds: 2_000)
                continuation.resume(returning: count != nil)
            }
        }
        let assigned = listener.isAssigned
        let body = "{\"kafka\":\(reachable),\"results_listener_assigned\":\(assigned)}"
        return Self.json(reachable && assigned ? .ok : .serviceUnavailable, body)
    }
}
