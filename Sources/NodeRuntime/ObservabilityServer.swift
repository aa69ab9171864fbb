import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// What a node tells its observability endpoint. Called on the endpoint's event loop
/// threads, concurrently with the node's loop: answers must come from state the loop
/// publishes (locks, atomics), never from the loop's own objects.
public protocol NodeProbes: Sendable {
    /// `GET /health`: is the node's loop alive.
    func health() -> ProbeAnswer
    /// `GET /ready`: should traffic or a rollout count on this node now.
    func readiness() -> ProbeAnswer
    /// `GET /metrics`: Prometheus text (refresh what is read at scrape time first).
    func metricsText() -> String
}

/// The worker's and the clearing node's HTTP endpoint: `GET /metrics`, `/health`, `/ready`
/// on a port of its own (docs/operations.md, "Metrics and health"). Served by
/// Hummingbird on its own event loops, so a scrape never waits for the node's loop.
///
/// A port that cannot be bound is logged as an error and the node goes on without the
/// endpoint: processing matters more than being watched (a liveness probe then fails and
/// says so).
public final class ObservabilityServer: Service, Sendable {
    public static let defaultHost = "0.0.0.0"
    public static let workerDefaultPort = 9470
    public static let clearingDefaultPort = 9471

    public let host: String
    public let port: Int
    private let probes: any NodeProbes
    private let logger: Logger
    private let bound = BoundPort()

    /// Holds the atomic by reference so the server-running callback can set it.
    private final class BoundPort: Sendable {
        let value = Atomic<Int>(0)
    }

    /// `port` 0: an ephemeral port (`boundPort` once listening).
    public init(host: String = ObservabilityServer.defaultHost, port: Int, probes: any NodeProbes, logger: Logger) {
        self.host = host
        self.port = port
        self.probes = probes
        self.logger = logger
    }

    /// The port listened on; 0 until the server runs (or if it could not).
    public var boundPort: Int { bound.value.load(ordering: .acquiring) }

    /// Why a `--metrics-port` value cannot be used; nil when it can.
    public static func problem(port: Int) -> String? {
        (0...65_535).contains(port) ? nil : "--metrics-port \(port): must be 0 (any free port) to 65535"
    }

    public func run() async throws {
        let probes = probes
        let router = Router()
        router.get("/metrics") { _, _ in
            Self.response(.ok, contentType: "text/plain; version=0.0.4", probes.metricsText())
        }
        router.get("/health") { _, _ in Self.response(probes.health()) }
        router.get("/ready") { _, _ in Self.response(probes.readiness()) }
        let (host, bound, logger) = (self.host, self.bound, self.logger)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "loyalty-observability"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                bound.value.store(port, ordering: .releasing)
                logger.notice("observability endpoint listening", metadata: ["address": "\(host):\(port)"])
            },
            logger: logger
        )
        do {
            try await application.run()
        } catch  where !Task.isCancelled {
            logger.error(
                "observability endpoint not available; the node goes on without /metrics, /health and /ready",
                metadata: ["address": "\(host):\(port)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }

    static func response(_ answer: ProbeAnswer) -> Response {
        response(answer.ok ? .ok : .serviceUnavailable, contentType: "application/json", answer.json)
    }

    static func response(_ status: HTTPResponse.Status, contentType: String, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
