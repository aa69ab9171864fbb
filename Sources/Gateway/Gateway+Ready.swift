import Dispatch
import Hummingbird
import Kafka
import LoyaltyWire

/// GET /ready: both producers reach the transactions topic and the results listener is assigned.
extension Gateway {
    func ready() async -> Response {
        let producers = [producer, batchProducer]
        let topic = configuration.topics.transactions
        let reachable: Bool = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let all = producers.allSatisfy { (try? $0.partitionCount(topic: topic, timeoutMilliseconds: 2_000)) != nil }
                continuation.resume(returning: all)
            }
        }
        let assigned = listener.isAssigned
        let body = "{\"kafka\":\(reachable),\"results_listener_assigned\":\(assigned)}"
        return Self.json(reachable && assigned ? .ok : .serviceUnavailable, body)
    }
}
