import AsyncHTTPClient
import Foundation
import Gateway
import NIOCore
import NIOHTTP1

/// A partner's side of the HTTP gateway, as `loyalty dev` and `loyalty bench gateway` play
/// it: signed requests over a real HTTP client (AsyncHTTPClient) on loopback.
struct GatewayClient: Sendable {
    struct Reply: Sendable {
        let status: Int
        let body: String
    }

    let base: String
    let http: HTTPClient

    /// A client with room for `connections` concurrent requests to the gateway.
    init(base: String, connections: Int = 256) {
        self.base = base
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// POSTs `body` to `pathAndQuery`, signed by `signer` now.
    func post(_ pathAndQuery: String, body: [UInt8], contentType: String, signer: RequestSigner, timeoutSeconds: Int64 = 120) async throws -> Reply {
        try await post(
            pathAndQuery, body: body, contentType: contentType,
            signature: signer.headers(method: "POST", pathAndQuery: pathAndQuery, body: body), timeoutSeconds: timeoutSeconds)
    }

    /// POSTs `body` with signature headers made beforehand (benchmarks sign before their
    /// clock starts; the gateway accepts a signature for ±5 minutes).
    func post(
        _ pathAndQuery: String, body: [UInt8], contentType: String, signature: [(name: String, value: String)], timeoutSeconds: Int64 = 120
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + pathAndQuery)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        for header in signature {
            request.headers.add(name: header.name, value: header.value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: .seconds(timeoutSeconds))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }

    /// Waits until `/ready` answers 200.
    func waitReady(timeoutSeconds: Int = 60) async throws {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while ContinuousClock.now < deadline {
            var request = HTTPClientRequest(url: base + "/ready")
            request.method = .GET
            if let response = try? await http.execute(request, timeout: .seconds(5)), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIError("the gateway at \(base) did not become ready within \(timeoutSeconds) s")
    }

    func shutdown() async throws { try await http.shutdown() }

    /// The base URL of an in-process gateway once it listens.
    static func base(of gateway: Gateway, timeoutSeconds: Int = 60) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while gateway.boundPort == 0 {
            guard ContinuousClock.now < deadline else { throw CLIError("the gateway did not start listening within \(timeoutSeconds) s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return "http://127.0.0.1:\(gateway.boundPort)"
    }
}
