import Prometheus

/// The gateway's Prometheus metrics, on a registry of its own (no global bootstrap, so
/// several gateways can live in one test process).
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let published: Counter
    /// Transactions refused because the producer queue was full (429s and `overloaded` batch lines).
    let overloaded: Counter
    let waitLatency: DurationHistogram

    init() {
        published = registry.makeCounter(
            descriptor: .init(namespace: "loyalty_gateway", metricName: "published", unitName: "total", helpText: "Records acknowledged by Kafka."))
        overloaded = registry.makeCounter(
            descriptor: .init(
                namespace: "loyalty_gateway", metricName: "overloaded", unitName: "total",
                helpText: "Transactions refused unpublished because the producer queue was full (429 or an overloaded batch line)."))
        waitLatency = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "loyalty_gateway", metricName: "wait_latency", unitName: "seconds",
                helpText: "Time from acknowledgement to the worker's result (wait=true and balance inquiries)."),
            labels: [],
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30)])
    }

    func request(route: String, status: Int) {
        registry.makeCounter(
            descriptor: .init(namespace: "loyalty_gateway", metricName: "requests", unitName: "total", helpText: "HTTP requests by route and status."),
            labels: [("route", route), ("status", String(status))]
        ).increment()
    }

    func rejectedAtEdge(field: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "loyalty_gateway", metricName: "rejected_at_edge", unitName: "total",
                helpText: "Transactions refused before publishing, by field at fault."),
            labels: [("field", field)]
        ).increment()
    }

    var text: String { registry.emitToString() }
}
