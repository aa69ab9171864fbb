import Hummingbird
import Kafka
import Prometheus
import Synchronization

/// The gateway's Prometheus metrics, on a registry of its own (no global bootstrap, so
/// several gateways can live in one test process).
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let published: Counter
    /// Transactions refused because the producer queue was full (429s and `overloaded` batch lines).
    let overloaded: Counter
    let waitLatency: DurationHistogram
    let producerQueueDepth: Gauge
    let deliveryErrors: Counter
    /// The producers whose queue depth and delivery errors are read at scrape time, and the
    /// delivery errors already counted.
    private let watched = Mutex<(producers: [KafkaProducer], errorsSeen: Int64)>(([], 0))

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
            buckets: [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
            ])
        (producerQueueDepth, deliveryErrors) = Self.producerFigures(in: registry)
    }

    /// The producers' queue depth gauge and delivery errors counter.
    private static func producerFigures(in registry: PrometheusCollectorRegistry) -> (Gauge, Counter) {
        let queue = MetricNameDescriptor(
            namespace: "loyalty_gateway", metricName: "producer_queue_depth", unitName: "",
            helpText: "Records and requests in the producers' out queues.")
        let errors = MetricNameDescriptor(
            namespace: "loyalty_gateway", metricName: "delivery_errors", unitName: "total", helpText: "Records whose delivery failed.")
        return (registry.makeGauge(descriptor: queue), registry.makeCounter(descriptor: errors))
    }

    /// Reads these producers' queue depth and delivery errors at every scrape.
    func watch(producers: [KafkaProducer]) { watched.withLock { $0.producers = producers } }

    /// Sets the producer figures (called at scrape time: cheap, no Kafka round trip).
    func observeProducers() {
        watched.withLock { state in
            producerQueueDepth.set(Int64(state.producers.reduce(0) { $0 + $1.queueLength }))
            let errors = state.producers.reduce(Int64(0)) { $0 + $1.deliveryErrors }
            if errors > state.errorsSeen { deliveryErrors.increment(by: errors - state.errorsSeen) }
            state.errorsSeen = errors
        }
    }

    /// Route labels: the route templates, and `unmatched` for any other path.
    static let routeLabels: Set<String> = Set(GatewayRoutes.all.map { GatewayRoutes.routerPath($0).description })

    /// `route` must be a template (`context.endpointPath`); anything else counts as `unmatched`.
    /// Status: the code when it is a valid one, else `other`.
    func request(route: String, status: Int) {
        let route = Self.routeLabels.contains(route) ? route : "unmatched"
        let status = (100...599).contains(status) ? String(status) : "other"
        registry.makeCounter(
            descriptor: .init(
                namespace: "loyalty_gateway", metricName: "requests", unitName: "total", helpText: "HTTP requests by route and status."),
            labels: [("route", route), ("status", status)]
        ).increment()
    }

    /// Label values of `rejected_at_edge`: the envelope's own fields and the edge's. A field
    /// named by the input (an unknown JSON key, say) is counted as `other`: no label value
    /// ever comes from input, so the label set stays this size.
    static let fieldLabels: Set<String> = [
        "partner_id", "partner_txn_id", "member_id", "occurred_at_ms", "received_at_ms", "trace_id",
        "accrual", "accrual.amount_minor", "accrual.currency", "accrual.category",
        "redemption", "redemption.points",
        "reversal", "reversal.kind", "reversal.original_partner_txn_id", "reversal.amount_minor", "reversal.currency",
        "barrier", "barrier.cycle", "inquiry", "body", "record",
    ]

    static func fieldLabel(_ field: String) -> String { fieldLabels.contains(field) ? field : "other" }

    func rejectedAtEdge(field: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "loyalty_gateway", metricName: "rejected_at_edge", unitName: "total",
                helpText: "Transactions refused before publishing, by field at fault."),
            labels: [("field", Self.fieldLabel(field))]
        ).increment()
    }

    /// Connections the gateway refused or closed, by why (a fixed set).
    func connectionClosed(_ verdict: ConnectionGuard.Verdict) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "loyalty_gateway", metricName: "connections_closed", unitName: "total",
                helpText: "Connections refused (too many) or closed by a timeout, by reason."),
            labels: [("reason", verdict.rawValue)]
        ).increment()
    }

    var text: String {
        observeProducers()
        return registry.emitToString()
    }
}
