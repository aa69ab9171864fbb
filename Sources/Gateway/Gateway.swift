import HTTPTypes
import Hummingbird
import HummingbirdCore
import Kafka
import Logging
import LoyaltyWire
import NIOCore
import Programme
import ServiceLifecycle
import Synchronization

/// The partner HTTP gateway: signed requests in, validated envelopes out to the
/// transactions topic, answered only after Kafka acknowledged them (acks=all).
///
/// Run `services` in one ServiceGroup (in that order; the group stops them in reverse:
/// HTTP first, then the results listener, then the producers, which flush).
///
/// Two producers: single transactions and balance inquiries, where a person waits, go
/// out without lingering; batch records linger a little so that requests carry many.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let listener: ResultsListener
    /// Card id → account, from the cards topic (`Gateway+Cards`).
    public let cards: CardDirectory
    let programme: Programme
    /// POST /v1/transactions and balance inquiries (`lingerMilliseconds`).
    let producer: KafkaProducer
    /// POST /v1/transactions/batch (`batchLingerMilliseconds`).
    let batchProducer: KafkaProducer
    let waiters = ResultWaiters()
    let metrics = GatewayMetrics()
    let authenticator: RequestAuthenticator
    let validator: EdgeValidator
    let quotas: PartnerQuotas
    let connections: ConnectionRegistry
    let logger: Logger
    private let port = BoundPort()

    public init(configuration: GatewayConfiguration, programme: Programme, credentials: PartnerCredentials, logger: Logger) throws {
        self.configuration = configuration
        self.programme = programme
        self.logger = logger
        producer = try Self.makeProducer(
            configuration, clientId: "loyalty-gateway", lingerMilliseconds: configuration.lingerMilliseconds, logger: logger)
        batchProducer = try Self.makeProducer(
            configuration, clientId: "loyalty-gateway-batch", lingerMilliseconds: configuration.batchLingerMilliseconds, logger: logger)
        listener = ResultsListener(
            bootstrapServers: configuration.bootstrapServers, topic: configuration.topics.results,
            fetchWaitMilliseconds: configuration.resultsFetchWaitMilliseconds, extra: configuration.kafkaExtra, waiters: waiters, logger: logger)
        cards = CardDirectory(
            bootstrapServers: configuration.bootstrapServers, topic: configuration.topics.cards, extra: configuration.kafkaExtra, logger: logger)
        authenticator = RequestAuthenticator(
            credentials: credentials, windowMilliseconds: configuration.signatureWindowMilliseconds,
            replayCache: ReplayCache(
                windowMilliseconds: configuration.signatureWindowMilliseconds, capacityPerPartner: configuration.replayCacheCapacityPerPartner))
        validator = EdgeValidator(programme: programme)
        quotas = PartnerQuotas(
            requests: .init(perSecond: configuration.requestsPerSecond, burst: configuration.requestsBurst),
            transactions: .init(perSecond: configuration.transactionsPerSecond, burst: configuration.transactionsBurst))
        connections = ConnectionRegistry(maxConnections: configuration.maxConnections, maxPerClient: configuration.maxConnectionsPerClient)
        metrics.watch(producers: [producer, batchProducer])
    }

    private static func makeProducer(
        _ configuration: GatewayConfiguration, clientId: String, lingerMilliseconds: Int, logger: Logger
    ) throws -> KafkaProducer {
        var producerConfiguration = ProducerConfiguration(bootstrapServers: configuration.bootstrapServers)
        producerConfiguration.clientId = clientId
        producerConfiguration.lingerMilliseconds = lingerMilliseconds
        producerConfiguration.messageTimeoutMilliseconds = configuration.deliveryTimeoutMilliseconds
        producerConfiguration.queueBufferingMaxMessages = configuration.producerQueueMessages
        producerConfiguration.extra = configuration.kafkaExtra
        return try KafkaProducer(configuration: producerConfiguration, logger: logger)
    }

    /// Request head limits (the HTTP parser's): over them, 400 and the connection is closed.
    static let maxHeaderFieldBytes = 8 << 10
    static let maxHeaderBytes = 16 << 10
    static let maxHeaderCount = 64

    /// The port the HTTP server listens on, once it runs (0 before).
    public var boundPort: Int { port.value.load(ordering: .acquiring) }

    /// Producers, results listener, card directory, HTTP server: run them in one ServiceGroup
    /// in this order.
    public var services: [any Service] { [ProducerService(producers: [producer, batchProducer]), listener, cards, makeApplication()] }

    func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.on(GatewayRoutes.routerPath(GatewayRoutes.submit), method: .post) { request, _ in await self.submit(request) }
        router.on(GatewayRoutes.routerPath(GatewayRoutes.batch), method: .post) { request, _ in await self.batch(request) }
        router.on(GatewayRoutes.routerPath(GatewayRoutes.balance), method: .get) { request, context in
            await self.balance(request, memberId: context.parameters.get("id") ?? "")
        }
        router.on(GatewayRoutes.routerPath(GatewayRoutes.health), method: .get) { _, _ in Self.json(.ok, "{\"status\":\"up\"}") }
        router.on(GatewayRoutes.routerPath(GatewayRoutes.ready), method: .get) { _, _ in await self.ready() }
        router.on(GatewayRoutes.routerPath(GatewayRoutes.metrics), method: .get) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: self.metrics.text)))
        }
        let port = self.port
        // At most a day each: NIO's time arithmetic must not overflow on a configured extreme.
        func timeout(_ milliseconds: Int) -> TimeAmount { .milliseconds(Int64(min(max(1, milliseconds), 86_400_000))) }
        let limits = ConnectionGuard.Limits(
            headTimeout: timeout(configuration.requestHeadTimeoutMilliseconds),
            bodyReadTimeout: timeout(configuration.bodyReadTimeoutMilliseconds),
            minBodyBytesPerSecond: configuration.minBodyBytesPerSecond,
            writeStallTimeout: timeout(configuration.writeStallTimeoutMilliseconds),
            retryAfterSeconds: configuration.retryAfterSeconds)
        let (connections, metrics) = (self.connections, self.metrics)
        var http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(limits: limits, registry: connections, onVerdict: { metrics.connectionClosed($0) })])
        http1.httpDecoder = .init(
            maxHeaderFieldSize: Self.maxHeaderFieldBytes, maxHeaderListSize: Self.maxHeaderBytes, maxHeaderFieldCount: Self.maxHeaderCount)
        return Application(
            router: router,
            server: .http1(configuration: http1),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "loyalty-gateway"),
            onServerRunning: { [logger] channel in
                port.value.store(channel.localAddress?.port ?? 0, ordering: .releasing)
                logger.notice("gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            },
            logger: logger
        )
    }
}
