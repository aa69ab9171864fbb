import Prometheus
import Synchronization

/// The clearing node's Prometheus metrics and the state its `/ready` answer is made of
/// (docs/operations.md, "Metrics and health"), on a registry of its own.
public final class ClearingMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let positionsReceived: Counter
    let cycles: [CycleRecord.Status: Gauge]
    let openCycleAge: Gauge
    let lastSettledCycle: Gauge
    let settlementFiles: Counter
    let instructionEvents: Counter
    let producerQueueDepth: Gauge
    let deliveryErrors: Counter
    private let readinessState = Mutex(Readiness())

    static let namespace = "loyalty_clearing"

    /// What `/ready` needs: the state store open and the positions topic assigned.
    struct Readiness {
        var storeOpen = false
        var consumingPositions = false
    }

    public init() {
        let registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: .init(namespace: Self.namespace, metricName: name, unitName: "total", helpText: help))
        }
        func gauge(_ name: String, unit: String = "", _ help: String) -> Gauge {
            registry.makeGauge(descriptor: .init(namespace: Self.namespace, metricName: name, unitName: unit, helpText: help))
        }
        positionsReceived = counter("positions_received", "Shard positions read from the positions topic.")
        var cycles: [CycleRecord.Status: Gauge] = [:]
        for status in CycleRecord.Status.allCases {
            cycles[status] = registry.makeGauge(
                descriptor: .init(namespace: Self.namespace, metricName: "cycles", unitName: "", helpText: "Cycles by state."),
                labels: [("state", status.rawValue)])
        }
        self.cycles = cycles
        openCycleAge = gauge("open_cycle_age", unit: "seconds", "Age of the oldest cycle not yet settled (0 when none).")
        lastSettledCycle = gauge("last_settled_cycle", "Number of the newest settled cycle (0 when none).")
        settlementFiles = counter("settlement_files", "Settlement files written.")
        instructionEvents = counter("instruction_events", "Settlement instruction events published.")
        producerQueueDepth = gauge("producer_queue_depth", "Records and requests in the producer's out queue.")
        deliveryErrors = counter("delivery_errors", "Records whose delivery failed.")
    }

    /// Sets the cycle gauges from the node's cycles at `nowMilliseconds`.
    func observe(_ records: [CycleRecord], nowMilliseconds: Int64) {
        var counts: [CycleRecord.Status: Int64] = [:]
        var oldestOpen: Int64?
        var lastSettled: Int64 = 0
        for record in records {
            counts[record.status, default: 0] += 1
            if record.status == .settled {
                lastSettled = max(lastSettled, record.cycle)
            } else {
                oldestOpen = min(oldestOpen ?? record.closedAtMilliseconds, record.closedAtMilliseconds)
            }
        }
        for (status, gauge) in cycles { gauge.set(counts[status] ?? 0) }
        openCycleAge.set(oldestOpen.map { Double(max(0, nowMilliseconds - $0)) / 1_000 } ?? 0)
        lastSettledCycle.set(lastSettled)
    }

    func storeOpened(_ open: Bool) { readinessState.withLock { $0.storeOpen = open } }
    func consumingPositions(_ consuming: Bool) { readinessState.withLock { $0.consumingPositions = consuming } }

    /// Why the node is not ready; nil when it is.
    var notReadyReason: String? {
        let state = readinessState.withLock { $0 }
        if !state.storeOpen { return "clearing state store not open" }
        if !state.consumingPositions { return "positions topic not assigned yet" }
        return nil
    }

    public var text: String { registry.emitToString() }
}
