import HTTPTypes
import Crypto
import Dispatch
import Foundation
import Hummingbird
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
/// HTTP first, then the results listener, then the producer, which flushes).
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let listener: ResultsListener
    let programme: Programme
    let producer: KafkaProducer
    let waiters = ResultWaiters()
    let metrics = GatewayMetrics()
    let authenticator: RequestAuthenticator
    let validator: EdgeValidator
    let logger: Logger
    private let port = BoundPort()

    public init(configuration: GatewayConfiguration, programme: Programme, credentials: PartnerCredentials, logger: Logger) throws {
        self.configuration = configuration
        self.programme = programme
        self.logger = logger
        var producerConfiguration = ProducerConfiguration(bootstrapServers: configuration.bootstrapServers)
        producerConfiguration.clientId = "loyalty-gateway"
        producerConfiguration.lingerMilliseconds = configuration.lingerMilliseconds
        producerConfiguration.messageTimeoutMilliseconds = configuration.deliveryTimeoutMilliseconds
        producerConfiguration.queueBufferingMaxMessages = configuration.producerQueueMessages
        producerConfiguration.extra = configuration.kafkaExtra
        producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        listener = ResultsListener(
            bootstrapServers: configuration.bootstrapServers, topic: configuration.topics.results, extra: configuration.kafkaExtra,
            waiters: waiters, logger: logger)
        authenticator = RequestAuthenticator(
            credentials: credentials, windowMilliseconds: configuration.signatureWindowMilliseconds,
            replayCache: ReplayCache(windowMilliseconds: configuration.signatureWindowMilliseconds, capacity: configuration.replayCacheCapacity))
        validator = EdgeValidator(programme: programme)
    }

    /// The port the HTTP server listens on, once it runs (0 before).
    public var boundPort: Int { port.value.load(ordering: .acquiring) }

    /// Producer, results listener, HTTP server: run them in one ServiceGroup in this order.
    public var services: [any Service] { [ProducerService(producer: producer), listener, makeApplication()] }

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
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "loyalty-gateway"),
            onServerRunning: { [logger] channel in
                port.value.store(channel.localAddress?.port ?? 0, ordering: .releasing)
                logger.notice("gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            },
            logger: logger
        )
    }

    // MARK: - POST /v1/transactions

    func submit(_ request: Request) async -> Response {
        do throws(EdgeError) {
            let format = try bodyFormat(request, json: "application/json", protobuf: "application/x-protobuf")
            let body = try await collectBody(request)
            let partner = try authenticator.authenticate(
                method: "POST", pathAndQuery: request.uri.string, headers: request.headers,
                bodySHA256Hex: RequestSigner.sha256Hex(body), nowMilliseconds: RequestSigner.nowMilliseconds())
            var envelope = try validator.decode(body, format: format)
            do throws(EdgeError) { try validator.validate(envelope, authenticatedPartner: partner) } catch {
                metrics.rejectedAtEdge(field: error.field)
                throw error
            }
            EdgeValidator.stamp(&envelope, nowMilliseconds: RequestSigner.nowMilliseconds())
            let query = request.uri.queryParameters
            let wait = query.get("wait").map { $0 == "true" || $0 == "1" } ?? false
            let timeout = try waitTimeout(query.get("timeout_ms"))
            let key = ResultWaiters.Key(partnerId: envelope.partnerID, partnerTxnId: envelope.partnerTxnID)
            let slot = wait ? waiters.register(key) : nil
            let metadata: RecordMetadata
            do throws(EdgeError) { metadata = try await publish(envelope) } catch {
                if let slot { waiters.remove(key, slot) }
                throw error
            }
            var fields = [
                "\"partner_txn_id\":\(jsonQuoted(envelope.partnerTxnID))", "\"trace_id\":\(jsonQuoted(envelope.traceID))",
                "\"partition\":\(metadata.partition)", "\"offset\":\(metadata.offset)",
            ]
            guard let slot else { return Self.json(.accepted, "{" + fields.joined(separator: ",") + "}") }
            let started = ContinuousClock.now
            guard let result = await slot.wait(timeout: .milliseconds(timeout)) else {
                waiters.remove(key, slot)
                fields.append("\"result\":null")
                fields.append("\"reason\":\(jsonQuoted("accepted by Kafka; no result from the workers within \(timeout) ms"))")
                return Self.json(.accepted, "{" + fields.joined(separator: ",") + "}")
            }
            metrics.waitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            fields += Self.outcomeFields(result.outcome)
            if result.outcome.status == .duplicate { fields.append("\"original\":{" + Self.outcomeFields(result.original).joined(separator: ",") + "}") }
            return Self.json(.ok, "{" + fields.joined(separator: ",") + "}")
        } catch {
            return Self.errorResponse(error)
        }
    }

    // MARK: - GET /v1/members/{id}/balance

    func balance(_ request: Request, memberId: String) async -> Response {
        do throws(EdgeError) {
            let partner = try authenticator.authenticate(
                method: "GET", pathAndQuery: request.uri.string, headers: request.headers,
                bodySHA256Hex: RequestSigner.sha256Hex([UInt8]()), nowMilliseconds: RequestSigner.nowMilliseconds())
            guard !memberId.isEmpty, memberId.utf8.count <= 128 else { throw .badRequest("id", "member id must be 1...128 bytes") }
            let timeout = try waitTimeout(request.uri.queryParameters.get("timeout_ms"))
            var envelope = Loyalty_V1_TransactionEnvelope()
            envelope.partnerID = partner
            envelope.partnerTxnID = "inquiry-" + EdgeValidator.newIdentifier()
            envelope.memberID = memberId
            envelope.inquiry = Loyalty_V1_BalanceInquiry()
            EdgeValidator.stamp(&envelope, nowMilliseconds: RequestSigner.nowMilliseconds())
            let key = ResultWaiters.Key(partnerId: partner, partnerTxnId: envelope.partnerTxnID)
            let slot = waiters.register(key)
            do throws(EdgeError) { _ = try await publish(envelope) } catch {
                waiters.remove(key, slot)
                throw error
            }
            let started = ContinuousClock.now
            guard let result = await slot.wait(timeout: .milliseconds(timeout)), result.isInquiry else {
                waiters.remove(key, slot)
                throw EdgeError(
                    status: .gatewayTimeout, field: "timeout_ms", reason: "no answer from the workers within \(timeout) ms",
                    retryAfterSeconds: configuration.retryAfterSeconds)
            }
            metrics.waitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            return Self.json(
                .ok,
                "{\"member_id\":\(jsonQuoted(memberId)),\"balance\":\(result.outcome.balanceAfter),\"request_id\":\(jsonQuoted(envelope.partnerTxnID)),"
                    + "\"trace_id\":\(jsonQuoted(envelope.traceID)),\"partition\":\(result.partition),\"offset\":\(result.offset)}")
        } catch {
            return Self.errorResponse(error)
        }
    }

    // MARK: - GET /ready

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

    // MARK: - helpers

    func publish(_ envelope: Loyalty_V1_TransactionEnvelope) async throws(EdgeError) -> RecordMetadata {
        let value: [UInt8]
        do { value = try envelope.serializedBytes() } catch { throw .badRequest("body", "cannot serialize: \(error)") }
        let record = ProducerRecord(topic: configuration.topics.transactions, key: Array(envelope.memberID.utf8), value: value)
        do {
            let metadata = try await producer.send(record)
            metrics.published.increment()
            return metadata
        } catch {
            throw publishFailure(error)
        }
    }

    func publishFailure(_ error: KafkaError) -> EdgeError {
        if error.code == .queueFull {
            return EdgeError(
                status: .tooManyRequests, field: "kafka", reason: "overloaded: producer queue full", retryAfterSeconds: configuration.retryAfterSeconds)
        }
        return EdgeError(
            status: .serviceUnavailable, field: "kafka", reason: "not acknowledged by Kafka: \(error.message)",
            retryAfterSeconds: configuration.retryAfterSeconds)
    }

    func bodyFormat(_ request: Request, json: String, protobuf: String) throws(EdgeError) -> EdgeValidator.Format {
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type == json { return .json }
        if type == protobuf { return .protobuf }
        throw EdgeError(status: .unsupportedMediaType, field: "Content-Type", reason: "must be \(json) or \(protobuf), got \(type.isEmpty ? "none" : type)")
    }

    func collectBody(_ request: Request) async throws(EdgeError) -> [UInt8] {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw EdgeError(status: .contentTooLarge, field: "body", reason: "larger than \(limit) bytes (\(length))")
        }
        var body: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= limit else {
                    throw EdgeError(status: .contentTooLarge, field: "body", reason: "larger than \(limit) bytes")
                }
                body.append(contentsOf: chunk.readableBytesView)
            }
        } catch let error as EdgeError {
            throw error
        } catch {
            throw .badRequest("body", "could not read the request body: \(error)")
        }
        return body
    }

    func waitTimeout(_ text: String?) throws(EdgeError) -> Int {
        guard let text else { return configuration.defaultWaitMilliseconds }
        guard let value = Int(text), value >= 1, value <= configuration.maxWaitMilliseconds else {
            throw .badRequest("timeout_ms", "must be 1...\(configuration.maxWaitMilliseconds), got \(text.prefix(20))")
        }
        return value
    }

    static func outcomeFields(_ outcome: Loyalty_V1_Outcome) -> [String] {
        [
            "\"status\":\(jsonQuoted(statusName(outcome.status)))", "\"reason\":\(jsonQuoted(reasonName(outcome.reason)))",
            "\"reason_detail\":\(jsonQuoted(outcome.reasonDetail))", "\"points_delta\":\(outcome.pointsDelta)",
            "\"balance_after\":\(outcome.balanceAfter)",
        ]
    }

    static func statusName(_ status: Loyalty_V1_ResultStatus) -> String {
        switch status {
        case .accepted: "ACCEPTED"
        case .rejected: "REJECTED"
        case .duplicate: "DUPLICATE"
        case .unspecified, .UNRECOGNIZED: "RESULT_STATUS_UNSPECIFIED"
        }
    }

    static func reasonName(_ reason: Loyalty_V1_ReasonCode) -> String {
        switch reason {
        case .unspecified, .UNRECOGNIZED: ""
        case .unknownPartner: "UNKNOWN_PARTNER"
        case .invalidAmount: "INVALID_AMOUNT"
        case .currencyMismatch: "CURRENCY_MISMATCH"
        case .insufficientPoints: "INSUFFICIENT_POINTS"
        case .originalNotFound: "ORIGINAL_NOT_FOUND"
        case .alreadyReversed: "ALREADY_REVERSED"
        case .refundExceedsOriginal: "REFUND_EXCEEDS_ORIGINAL"
        case .invalidField: "INVALID_FIELD"
        case .wrongOriginalKind: "WRONG_ORIGINAL_KIND"
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: String, retryAfterSeconds: Int? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func errorResponse(_ error: EdgeError) -> Response {
        json(error.status, error.json, retryAfterSeconds: error.retryAfterSeconds)
    }
}

/// Owns the producer's lifetime in the ServiceGroup: on shutdown (after the HTTP server
/// stopped) it flushes what is in flight and closes.
struct ProducerService: Service {
    let producer: KafkaProducer

    func run() async throws {
        try? await gracefulShutdown()
        let producer = self.producer
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                producer.shutdown(flushTimeoutMilliseconds: 10_000)
                continuation.resume()
            }
        }
    }
}

/// Counts requests by route and status.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.request(route: context.endpointPath ?? "unmatched", status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(route: context.endpointPath ?? "unmatched", status: status)
            throw error
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The listening port, set once the server runs (shared with the onServerRunning closure).
final class BoundPort: Sendable {
    let value = Atomic<Int>(0)
}
