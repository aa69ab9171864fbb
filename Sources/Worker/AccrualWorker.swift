import Foundation
import Logging
import NodeRuntime
import Programme
import ServiceLifecycle
import Synchronization

/// An accrual worker as a `Service`: consumes the transactions topic in a consumer
/// group and keeps one SQLite ledger per assigned partition.
///
/// `run()` returns when graceful shutdown is requested (SIGTERM/SIGINT through the
/// ServiceGroup): the batch in hand is finished and stored, the group is left, and
/// `run()` returns normally. With `exitWhenCaughtUp` it also returns once caught up.
public final class AccrualWorker: Service, Sendable {
    public let configuration: WorkerConfiguration
    public let progress = WorkerProgress()
    /// Its Prometheus metrics and readiness state (`observabilityServer`).
    public let metrics = WorkerMetrics()
    /// Whether its loop is alive (`/health`).
    public let liveness = NodeLiveness()
    private let programme: Programme
    private let logger: Logger
    private let stopRequested = StopFlag()

    public init(configuration: WorkerConfiguration, programme: Programme, logger: Logger) {
        self.configuration = configuration
        self.programme = programme
        self.logger = logger
    }

    /// Asks the loop to stop after the batch in hand.
    public func requestStop() {
        stopRequested.flag.store(true, ordering: .relaxed)
    }

    public func run() async throws {
        let configuration = configuration
        let programme = programme
        let logger = logger
        let progress = progress
        let stopRequested = stopRequested
        let metrics = metrics
        try await liveness.track {
            try await DedicatedThread.run(name: "loyalty-worker", stop: { stopRequested.flag.store(true, ordering: .relaxed) }) {
                try WorkerLoop(
                    configuration: configuration,
                    programme: programme,
                    logger: logger,
                    progress: progress,
                    stopRequested: stopRequested,
                    metrics: metrics
                ).run()
            }
        }
    }

    /// This worker's `/metrics`, `/health` and `/ready` (docs/operations.md, "Metrics and
    /// health"): run it in the same ServiceGroup, before the worker, so it answers until the
    /// worker has stopped. Ready when at least one partition is held and every partition's
    /// lag is at most `readyMaxLag` records.
    public func observabilityServer(host: String, port: Int, readyMaxLag: Int64, logger: Logger) -> ObservabilityServer {
        ObservabilityServer(host: host, port: port, probes: Probes(worker: self, readyMaxLag: readyMaxLag), logger: logger)
    }

    struct Probes: NodeProbes {
        let worker: AccrualWorker
        let readyMaxLag: Int64

        func health() -> ProbeAnswer { worker.liveness.answer(loop: "worker loop") }

        func readiness() -> ProbeAnswer {
            guard worker.liveness.answer(loop: "worker loop").ok else { return health() }
            return worker.metrics.readiness(maxLag: readyMaxLag)
        }

        func metricsText() -> String { worker.metrics.text }
    }
}

/// Holds the atomic by reference so the loop thread and the service share it.
final class StopFlag: Sendable {
    let flag = Atomic<Bool>(false)
}
