import AsyncHTTPClient
import Foundation
import Gateway
import Kafka
import Logging
import LoyaltyWire
import NIOCore
import NIOHTTP1
import Programme
import ServiceLifecycle
import Testing
import Worker

/// A mock cluster with the clearing house's topics (a `TestCluster`) and a gateway on a
/// loopback port, talked to with a real HTTP client.
public final class GatewayHarness: @unchecked Sendable {  // immutable after init; members are thread-safe
    public let kafka: TestCluster
    public let gateway: Gateway
    let group: ServiceGroup
    let groupTask: Task<Void, Error>
    public let signers: [String: RequestSigner]
    /// The programme the gateway runs, and the workers `startWorkers` starts.
    public let programme: Programme

    public var cluster: MockCluster { kafka.cluster }
    public var topics: LoyaltyWire.Topics { kafka.topics }
    public var partitions: Int32 { kafka.partitions }
    public var logger: Logger { kafka.logger }
    public var directory: String { kafka.directory }

    public static let secrets: [String: [PartnerCredentials.Key]] = [
        "pharmacy": [.init(keyId: "pharmacy-k1", secret: "pharmacy-secret-0123456789")],
        "fuel": [.init(keyId: "fuel-k1", secret: "fuel-secret-0123456789abcdef")],
        "cinema": [.init(keyId: "cinema-k1", secret: "cinema-secret-0123456789abc")],
    ]

    public init(
        partitions: Int32 = 4, programme: Programme = .sample, configure: (inout GatewayConfiguration) -> Void = { _ in }
    ) async throws {
        self.programme = programme
        kafka = try TestCluster(partitions: partitions, label: "gateway-test", logLevel: .critical)
        var configuration = GatewayConfiguration(bootstrapServers: kafka.bootstrap)
        configuration.port = 0
        configure(&configuration)
        gateway = try Gateway(
            configuration: configuration, programme: programme, credentials: try PartnerCredentials(Self.secrets), logger: kafka.logger)
        signers = Dictionary(uniqueKeysWithValues: Self.secrets.map { ($0.key, RequestSigner(keyId: $0.value[0].keyId, secret: $0.value[0].secret)) })
        group = ServiceGroup(services: gateway.services, logger: kafka.logger)
        let group = self.group
        groupTask = Task { try await group.run() }
        try await waitUntilReady()
    }

    func waitUntilReady() async throws {
        // Generous: on a loaded 2-core CI machine the first minute of a run can pass before
        // the cooperative pool gets to the gateway's tasks.
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            if gateway.boundPort > 0, let response = try? await send("GET", "/ready", signer: nil), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("gateway did not become ready")
        throw CancellationError()
    }

    /// Stops the gateway first, then the brokers it talks to.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await groupTask.value
        cluster.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public struct Reply: Sendable {
        public let status: Int
        public let body: String
        public let headers: HTTPHeaders
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        public var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
    }

    /// Sends a request, signed by `signer` unless nil; `tamper` edits the headers after signing.
    public func send(
        _ method: String, _ pathAndQuery: String, body: [UInt8] = [], contentType: String? = nil, signer: RequestSigner?,
        timestampMilliseconds: Int64 = RequestSigner.nowMilliseconds(), chunked: Bool = false, tamper: (inout HTTPHeaders) -> Void = { _ in }
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(gateway.boundPort)\(pathAndQuery)")
        request.method = HTTPMethod(rawValue: method)
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let signer {
            for header in signer.headers(method: method, pathAndQuery: pathAndQuery, body: body, timestampMilliseconds: timestampMilliseconds) {
                request.headers.add(name: header.name, value: header.value)
            }
        }
        tamper(&request.headers)
        if chunked {
            // No Content-Length: the body's size is known only at its end.
            let pieces = stride(from: 0, to: body.count, by: 1_000).map { ByteBuffer(bytes: body[$0..<min(body.count, $0 + 1_000)]) }
            let stream = AsyncStream<ByteBuffer> { continuation in
                for piece in pieces { continuation.yield(piece) }
                continuation.finish()
            }
            request.body = .stream(stream, length: .unknown)
        } else if !body.isEmpty || method == "POST" {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes), headers: response.headers)
    }

    /// `send` (signed afresh each time) sent again when the gateway closed the pooled
    /// keep-alive connection the request went out on: with a short request-head timeout, a
    /// connection left idle past it on a loaded machine races the client's reuse of it. The
    /// client reports that race as `remoteConnectionClosed`, or as NIO's `ioOnClosedChannel`
    /// when the close lands while the request is being written (once in the soak, CI on
    /// 2026-12-04). A partner resends such a request; ours are idempotent (the same
    /// transaction id, or a read). The reply and how many times the request was sent again.
    public func sendResendingOnClosedConnection(
        _ method: String, _ pathAndQuery: String, body: [UInt8] = [], contentType: String? = nil, signer: RequestSigner?,
        attempts: Int = 3
    ) async throws -> (reply: Reply, resent: Int) {
        var resent = 0
        while true {
            do {
                return (try await send(method, pathAndQuery, body: body, contentType: contentType, signer: signer), resent)
            } catch let error as HTTPClientError where error == .remoteConnectionClosed && resent + 1 < attempts {
                resent += 1
            } catch let error as ChannelError where error == .ioOnClosedChannel && resent + 1 < attempts {
                resent += 1
            }
        }
    }

    /// Sum of the high watermarks of the transactions topic.
    public func transactionsEnd() throws -> Int64 { try kafka.recordCount(topics.transactions) }

    /// Every record of `topic` from the beginning, once `count` are in.
    public func read(_ topic: String, atLeast count: Int, timeoutSeconds: Double = 60) throws -> [ConsumerRecord] {
        try kafka.read(topic, atLeast: count, timeoutSeconds: timeoutSeconds)
    }

    /// Records of `topic` from the beginning until `done` says so (or the time is up).
    public func read(_ topic: String, timeoutSeconds: Double, until done: ([ConsumerRecord]) -> Bool) throws -> [ConsumerRecord] {
        try kafka.read(topic, timeoutSeconds: timeoutSeconds, until: done)
    }

    public func startWorkers(count: Int = 1) -> WorkerPool {
        WorkerPool(
            count: count, bootstrapServers: cluster.bootstrapServers, dataDirectory: "\(directory)/shards", programme: programme,
            groupId: "workers-\(UUID().uuidString)", logger: logger)
    }
}

/// proto3 JSON of an accrual envelope.
public func accrualJSON(partner: String, txn: String, member: String, amountMinor: Int64 = 10_000, currency: String = "EUR") -> [UInt8] {
    Array(
        """
        {"partnerId":"\(partner)","partnerTxnId":"\(txn)","memberId":"\(member)","occurredAtMs":"1790000000000",\
        "accrual":{"amountMinor":"\(amountMinor)","currency":"\(currency)","category":"pharmacy"}}
        """.utf8)
}

public func redemptionJSON(partner: String, txn: String, member: String, points: Int64) -> [UInt8] {
    Array(
        """
        {"partner_id":"\(partner)","partner_txn_id":"\(txn)","member_id":"\(member)","occurred_at_ms":1790000000000,\
        "redemption":{"points":\(points)}}
        """.utf8)
}
