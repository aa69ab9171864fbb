import Crypto
import Foundation
import Kafka
import Logging
import NodeRuntime
import Programme
import ServiceLifecycle
import Synchronization

/// The clearing node as a `Service`: closes cycles (on schedule or on request), collects
/// the shards' positions and settles each cycle into signed files and events.
public final class ClearingNode: Service, Sendable {
    public let configuration: ClearingConfiguration
    private let programme: Programme
    /// The key's raw bytes: swift-crypto's key type is not Sendable; the loop thread
    /// rebuilds the key from them.
    private let signingKeyBytes: Data
    private let logger: Logger
    private let control = Control()
    /// Its Prometheus metrics and readiness state (`observabilityServer`).
    public let metrics = ClearingMetrics()
    /// Whether its loop is alive (`/health`).
    public let liveness = NodeLiveness()

    public init(
        configuration: ClearingConfiguration, programme: Programme, signingKey: Curve25519.Signing.PrivateKey,
        logger: Logger
    ) {
        self.configuration = configuration
        self.programme = programme
        self.signingKeyBytes = signingKey.rawRepresentation
        self.logger = logger
    }

    /// Asks the node to close the open cycle now.
    public func requestClose() { control.requestClose() }

    public func requestStop() { control.stop() }

    /// The cycles as last seen by the node.
    public var cycles: [CycleRecord] { control.cycles }

    /// Waits until `cycle` is SETTLED (returns its record) or FAILED (throws its reason).
    public func waitUntilSettled(_ cycle: Int64, timeoutSeconds: Double = 120) async throws -> CycleRecord {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let record = cycles.first(where: { $0.cycle == cycle }) {
                if record.status == .settled { return record }
                if record.status == .failed { throw ClearingNodeError("cycle \(cycle) failed: \(record.reason ?? "")") }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let waiting = cycles.first { $0.cycle == cycle }.map { "waiting for partitions \($0.waitingFor)" } ?? "not closed"
        throw ClearingNodeError("cycle \(cycle) not settled within \(Int(timeoutSeconds)) s: \(waiting)")
    }

    public func run() async throws {
        try await liveness.track {
            try await DedicatedThread.run(name: "loyalty-clearing", stop: { [control] in control.stop() }) {
                [configuration, programme, signingKeyBytes, logger, control, metrics] in
                let signingKey = try Curve25519.Signing.PrivateKey(rawRepresentation: signingKeyBytes)
                try ClearingNodeLoop(
                    configuration: configuration, programme: programme, signingKey: signingKey,
                    logger: logger, control: control, metrics: metrics
                ).run()
            }
        }
    }

    /// This node's `/metrics`, `/health` and `/ready` (docs/operations.md, "Metrics and
    /// health"): run it in the same ServiceGroup, before the node. Ready once the state
    /// store is open and the positions topic is assigned to the node.
    public func observabilityServer(host: String, port: Int, logger: Logger) -> ObservabilityServer {
        ObservabilityServer(host: host, port: port, probes: Probes(node: self), logger: logger)
    }

    struct Probes: NodeProbes {
        let node: ClearingNode

        func health() -> ProbeAnswer { node.liveness.answer(loop: "clearing loop") }

        func readiness() -> ProbeAnswer {
            let health = health()
            guard health.ok else { return health }
            return node.metrics.notReadyReason.map { .down($0) } ?? .up("state store open, consuming positions")
        }

        func metricsText() -> String { node.metrics.text }
    }

    /// Shared between the service and its loop thread.
    final class Control: Sendable {
        private struct State {
            var stop = false
            var closeRequests = 0
            var cycles: [CycleRecord] = []
        }

        private let state = Mutex(State())
        let startedAtMilliseconds = ClearingNodeLoop.nowMilliseconds()

        var stopRequested: Bool { state.withLock { $0.stop } }
        var cycles: [CycleRecord] { state.withLock { $0.cycles } }

        func stop() { state.withLock { $0.stop = true } }
        func requestClose() { state.withLock { $0.closeRequests += 1 } }

        func takeCloseRequest() -> Bool {
            state.withLock { state in
                guard state.closeRequests > 0 else { return false }
                state.closeRequests -= 1
                return true
            }
        }

        func publish(_ cycles: [CycleRecord]) { state.withLock { $0.cycles = cycles } }
    }
}

/// One-shot operations on a clearing node's state, for the CLI: close a cycle from
/// another process, retry a failed one, list cycles.
public enum ClearingAdmin {
    /// Records the next cycle as CLOSING and writes its barriers. The running node
    /// collects the positions and settles it.
    public static func close(configuration: ClearingConfiguration, logger: Logger) throws -> CycleRecord {
        let store = try ClearingStore(path: configuration.statePath)
        defer { store.close() }
        var producerConfiguration = Kafka.ProducerConfiguration(bootstrapServers: configuration.bootstrapServers)
        producerConfiguration.extra = configuration.kafkaExtra
        let producer = try Kafka.KafkaProducer(configuration: producerConfiguration, logger: logger)
        defer { producer.shutdown() }
        return try CycleCloser(store: store, producer: producer, topics: configuration.topics)
            .closeNext(nowMilliseconds: ClearingNodeLoop.nowMilliseconds())
    }

    /// Puts FAILED `cycle` (and the cycles that failed behind it) back to CLOSING for the
    /// running node to settle again, after the cause was repaired. Returns the cycles reset.
    public static func retry(statePath: String, cycle: Int64) throws -> [Int64] {
        guard FileManager.default.fileExists(atPath: statePath) else {
            throw ClearingNodeError("no clearing state at \(statePath)")
        }
        let store = try ClearingStore(path: statePath)
        defer { store.close() }
        return try store.retry(cycle)
    }

    public static func cycles(statePath: String) throws -> [CycleRecord] {
        guard FileManager.default.fileExists(atPath: statePath) else { return [] }
        let store = try ClearingStore(path: statePath)
        defer { store.close() }
        return try store.cycles()
    }
}
