import Foundation
import Gateway
import LoyaltyTesting
import NIOHTTP1
import Testing

/// Issue 9's edge attacks over loopback against a live gateway: overflowing headers,
/// bodies that never come, slow and half-open connections, too many connections, quotas.
@Suite("Gateway under attack", .serialized, .timeLimit(.minutes(10)))
struct EdgeAttackTests {
    static let pharmacyKey = "pharmacy-k1"

    @Test("timestamp Int64.min (and other extremes) over the wire: 401 naming the header; the gateway lives on")
    func timestampOverflow() async throws {
        let harness = try await GatewayHarness()
        let port = harness.gateway.boundPort
        for timestamp in [String(Int64.min), String(Int64.max), "-9223372036854775807", "18446744073709551616"] {
            let answer = await offPool {
                // A generous wait: on a loaded machine the answer may take seconds; no answer
                // at all (the old trap) still fails.
                guard let client = RawClient(port: port, receiveTimeoutMilliseconds: 60_000) else { return (0, "no connection") }
                let body = "{}"
                client.send(
                    rawHead(
                        "POST", "/v1/transactions",
                        headers: [
                            ("Content-Type", "application/json"), ("Content-Length", "\(body.utf8.count)"), ("X-Loyalty-Key-Id", Self.pharmacyKey),
                            ("X-Loyalty-Timestamp", timestamp), ("X-Loyalty-Signature", String(repeating: "0", count: 64)),
                        ]) + body)
                let (status, text, _) = client.status()
                return (status, text)
            }
            #expect(answer.0 == 401, "\(timestamp): \(answer.1)")
            #expect(answer.1.contains(RequestSigner.timestampHeader), "\(answer.1)")
        }
        let health = try await harness.send("GET", "/health", signer: nil)
        #expect(health.status == 200)
        await harness.stop()
    }

    @Test("key id and timestamp are checked before the body is read; Content-Length over the limit is 413 before it")
    func cheapChecksFirst() async throws {
        // The body timeout far above what the test allows: an answer within the bound can
        // only come from the checks before the body, not from giving up on it (a speed
        // bound would fail on a loaded machine).
        let harness = try await GatewayHarness { $0.bodyReadTimeoutMilliseconds = 300_000 }
        let port = harness.gateway.boundPort
        let now = String(RequestSigner.nowMilliseconds())
        // Each announces a body it never sends: the answer must come anyway, at once.
        let cases: [(keyId: String, timestamp: String, length: Int, status: Int, field: String)] = [
            ("nobody", now, 1 << 20, 401, RequestSigner.keyIdHeader),
            (Self.pharmacyKey, "1", 1 << 20, 401, RequestSigner.timestampHeader),
            (Self.pharmacyKey, now, 50 << 20, 413, "body"),
        ]
        for item in cases {
            let started = ContinuousClock.now
            let answer = await offPool {
                guard let client = RawClient(port: port, receiveTimeoutMilliseconds: 120_000) else { return (0, "no connection", false) }
                client.send(
                    rawHead(
                        "POST", "/v1/transactions",
                        headers: [
                            ("Content-Type", "application/json"), ("Content-Length", "\(item.length)"), ("X-Loyalty-Key-Id", item.keyId),
                            ("X-Loyalty-Timestamp", item.timestamp), ("X-Loyalty-Signature", String(repeating: "0", count: 64)),
                        ]))
                let (status, text, closed) = client.status()
                return (status, text, closed || client.receive().closed)
            }
            #expect(answer.0 == item.status, "\(item): \(answer.1)")
            #expect(answer.2, "the connection ends after the refusal instead of waiting to drain the body")
            #expect(answer.1.contains("\"field\":\"\(item.field)\""), "\(answer.1)")
            #expect(ContinuousClock.now - started < .seconds(120), "answered without waiting for the body (its timeout is 300 s)")
        }
        await harness.stop()
    }

    @Test("half-open connections are closed; slow-header and stalled-body ones are answered 408 and closed")
    func slowClients() async throws {
        let harness = try await GatewayHarness {
            $0.requestHeadTimeoutMilliseconds = 400
            $0.bodyReadTimeoutMilliseconds = 400
        }
        let port = harness.gateway.boundPort
        // Nothing at all (half-open, or an idle keep-alive connection): closed without an answer.
        let silent = await offPool {
            guard let client = RawClient(port: port) else { return (-1, false) }
            let (status, _, closed) = client.status()
            return (status, closed)
        }
        #expect(silent.0 == 0, "no answer a client could take for another request's")
        #expect(silent.1, "closed")
        // A header byte every 100 ms: never a complete head.
        let dripped = await offPool {
            guard let client = RawClient(port: port) else { return false }
            let head = Array(rawHead("GET", "/health", headers: [("X-Padding", String(repeating: "p", count: 200))]).utf8)
            for byte in head {
                guard client.send([byte]) else { return true }
                usleep(100_000)
            }
            return false
        }
        #expect(dripped, "a dripping head is cut off")
        // A signed-looking head, part of the body, then nothing.
        let stalled = await offPool {
            guard let client = RawClient(port: port) else { return (0, "") }
            client.send(
                rawHead(
                    "POST", "/v1/transactions",
                    headers: [
                        ("Content-Type", "application/json"), ("Content-Length", "1000"), ("X-Loyalty-Key-Id", Self.pharmacyKey),
                        ("X-Loyalty-Timestamp", String(RequestSigner.nowMilliseconds())), ("X-Loyalty-Signature", String(repeating: "0", count: 64)),
                    ]) + "{\"partnerId\":")
            let (status, text, _) = client.status()
            return (status, text)
        }
        #expect(stalled.0 == 408, "\(stalled.1)")
        // The pooled connection of the readiness check is past the head timeout by now: resent if it closes under the request.
        let metrics = try await harness.sendResendingOnClosedConnection("GET", "/metrics", signer: nil).reply
        #expect(metrics.body.contains("reason=\"head_timeout\"") && metrics.body.contains("reason=\"idle_timeout\""))
        #expect(metrics.body.contains("reason=\"body_timeout\"") || metrics.body.contains("reason=\"body_too_slow\""))
        await harness.stop()
    }

    @Test("pipelined requests: a head that came in early is not timed out while the one before is answered")
    func pipelined() async throws {
        let harness = try await GatewayHarness { $0.requestHeadTimeoutMilliseconds = 400 }
        let port = harness.gateway.boundPort
        let signer = try #require(harness.signers["pharmacy"])
        // No workers run: each balance inquiry waits its timeout (1 s, longer than the head timeout) and gets 504.
        let requests = ["m-1", "m-2"].map { member -> String in
            let path = "/v1/members/\(member)/balance?timeout_ms=1000"
            return rawHead("GET", path, headers: signer.headers(method: "GET", pathAndQuery: path).map { ($0.name, $0.value) })
        }
        let answer = await offPool { () -> String in
            guard let client = RawClient(port: port, receiveTimeoutMilliseconds: 4_000) else { return "" }
            client.send(requests.joined())
            var text = ""
            while text.components(separatedBy: "HTTP/1.1 ").count - 1 < 2 {
                let (bytes, closed) = client.receive(limit: 1)
                text += String(decoding: bytes, as: UTF8.self)
                if closed || bytes.isEmpty { break }
            }
            return text
        }
        let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
        #expect(statuses == ["504", "504"], "\(answer)")
        await harness.stop()
    }

    @Test("connections per client address are bounded: the next one is answered 503; other clients are served")
    func connectionsPerClient() async throws {
        let harness = try await GatewayHarness { $0.maxConnectionsPerClient = 3 }
        let port = harness.gateway.boundPort
        let result = await offPool { () -> (Int, Int) in
            let held = (0..<3).compactMap { _ in RawClient(port: port, source: "127.0.0.2") }
            // Let the gateway count them before the fourth.
            usleep(200_000)
            guard let fourth = RawClient(port: port, source: "127.0.0.2") else { return (0, 0) }
            let refused = fourth.status().status
            guard let other = RawClient(port: port, source: "127.0.0.3") else { return (refused, 0) }
            other.send(rawHead("GET", "/health", headers: []))
            let served = other.status().status
            held.forEach { $0.close() }
            return (refused, served)
        }
        #expect(result.0 == 503)
        #expect(result.1 == 200)
        await harness.stop()
    }

    @Test("per-partner quotas: over the request quota 429 with Retry-After; other partners unaffected; batches are paced")
    func quotas() async throws {
        let harness = try await GatewayHarness {
            $0.requestsPerSecond = 0.5
            $0.requestsBurst = 2
            $0.transactionsPerSecond = 40
            $0.transactionsBurst = 10
        }
        let pharmacy = try #require(harness.signers["pharmacy"])
        var statuses: [Int] = []
        var last: GatewayHarness.Reply?
        for i in 0..<3 {
            let reply = try await harness.send(
                "POST", "/v1/transactions", body: accrualJSON(partner: "pharmacy", txn: "q-\(i)", member: "m-1"), contentType: "application/json",
                signer: pharmacy)
            statuses.append(reply.status)
            last = reply
        }
        #expect(statuses == [202, 202, 429])
        #expect(last?.errorField == "requests")
        #expect(Int(last?.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
        let fuel = try await harness.send(
            "POST", "/v1/transactions", body: accrualJSON(partner: "fuel", txn: "q-f", member: "m-1"), contentType: "application/json",
            signer: harness.signers["fuel"])
        #expect(fuel.status == 202, "\(fuel.body)")

        // A batch of 30 at 40/s after a burst of 10: paced (about half a second), every line accepted.
        var body: [UInt8] = []
        for i in 0..<30 { body += accrualJSON(partner: "cinema", txn: "qb-\(i)", member: "m-\(i)") + [10] }
        let started = ContinuousClock.now
        let batch = try await harness.send(
            "POST", "/v1/transactions/batch", body: body, contentType: "application/x-ndjson", signer: harness.signers["cinema"])
        let elapsed = ContinuousClock.now - started
        #expect(batch.status == 200)
        #expect(batch.body.contains("\"accepted\":30"), "\(batch.body)")
        #expect(elapsed >= .milliseconds(400), "paced: \(elapsed)")
        await harness.stop()
    }
}
