import Foundation
import Gateway
import Kafka
import LoyaltyTesting
import LoyaltyWire
import NIOHTTP1
import SwiftProtobuf
import Synchronization
import Testing

/// The gateway's edges that only show under stress or tampering: a batch body that is not
/// the one signed, a batch larger than allowed, and a full producer queue (429).
@Suite("Gateway limits and overload", .serialized, .timeLimit(.minutes(10)))
struct BatchLimitsTests {
    static func ndjson(_ partner: String, prefix: String, count: Int) -> [UInt8] {
        var body: [UInt8] = []
        for i in 0..<count {
            body += accrualJSON(partner: partner, txn: "\(prefix)-\(i)", member: "m-\(i % 11)")
            body.append(10)
        }
        return body
    }

    static func lines(_ reply: GatewayHarness.Reply) -> [[String: Any]] {
        reply.body.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
    }

    /// A batch answer: the status lines, the summary, and the ids answered accepted (checked against the summary's count).
    static func outcome(_ reply: GatewayHarness.Reply) throws -> (lines: [[String: Any]], summary: [String: Any], accepted: [String]) {
        #expect(reply.status == 200, "\(reply.body)")
        let all = lines(reply)
        let summary = try #require(all.last?["summary"] as? [String: Any], "\(reply.body)")
        let accepted = all.dropLast().filter { $0["status"] as? String == "accepted" }.compactMap { $0["partner_txn_id"] as? String }
        #expect(summary["accepted"] as? Int == accepted.count)
        return (Array(all.dropLast()), summary, accepted)
    }

    /// Partner transaction ids of every record on the transactions topic.
    static func publishedIds(_ harness: GatewayHarness, expected: Int) throws -> [String] {
        try harness.read(harness.topics.transactions, atLeast: expected, timeoutSeconds: 5).map {
            try Loyalty_V1_TransactionEnvelope(serializedBytes: $0.value).partnerTxnID
        }
    }

    @Test("a batch body other than the one signed: the summary says MISMATCH and only lines answered accepted were published")
    func bodyHashMismatch() async throws {
        let harness = try await GatewayHarness()
        let signer = try #require(harness.signers["fuel"])
        let signed = Self.ndjson("fuel", prefix: "signed", count: 5)
        let sent = Self.ndjson("fuel", prefix: "sent", count: 5)
        let path = "/v1/transactions/batch"
        let reply = try await harness.send("POST", path, body: sent, contentType: "application/x-ndjson", signer: signer) { headers in
            // The headers of the body that was signed, on a body that was not.
            for header in signer.headers(method: "POST", pathAndQuery: path, body: signed) {
                headers.replaceOrAdd(name: header.name, value: header.value)
            }
        }
        let (_, summary, accepted) = try Self.outcome(reply)
        #expect(summary["body_sha256"] as? String == "MISMATCH")
        #expect((summary["body_error"] as? String)?.contains(RequestSigner.contentSHA256Header) == true)
        // What was answered accepted is exactly what is on the topic: the partner knows what to reverse.
        #expect(try harness.transactionsEnd() == Int64(accepted.count))
        #expect(Set(try Self.publishedIds(harness, expected: accepted.count)) == Set(accepted))
        await harness.stop()
    }

    @Test("a batch larger than the limit is cut there: the summary says so and nothing past the cut is published")
    func oversizedBatch() async throws {
        let harness = try await GatewayHarness {
            $0.maxBatchBytes = 3_000
            $0.maxBatchRecordBytes = 1_000
        }
        let signer = try #require(harness.signers["cinema"])
        // A record over the record limit is answered invalid; the lines around it go on.
        var body = Self.ndjson("cinema", prefix: "before", count: 2)
        body += Array(#"{"partnerId":"cinema","partnerTxnId":"long","memberId":""#.utf8) + [UInt8](repeating: 65, count: 1_200) + Array(#""}"#.utf8)
        body.append(10)
        body += Self.ndjson("cinema", prefix: "after", count: 2)
        #expect(body.count < 3_000)
        let mixed = try await harness.send("POST", "/v1/transactions/batch", body: body, contentType: "application/x-ndjson", signer: signer)
        let mixedLines = Self.lines(mixed)
        #expect(
            mixedLines.map { $0["status"] as? String ?? "?" } == ["accepted", "accepted", "invalid", "accepted", "accepted", "?"], "\(mixed.body)")
        #expect(((mixedLines[2]["error"] as? [String: Any])?["field"] as? String) == "record")
        #expect((mixedLines.last?["summary"] as? [String: Any])?["body_sha256"] as? String == "verified")
        #expect(try harness.transactionsEnd() == 4)

        // A body whose Content-Length is over the batch limit: 413 before any of it is read.
        let big = Self.ndjson("cinema", prefix: "big", count: 60)
        #expect(big.count > 3_000)
        let announced = try await harness.send("POST", "/v1/transactions/batch", body: big, contentType: "application/x-ndjson", signer: signer)
        #expect(announced.status == 413, "\(announced.body)")
        #expect(announced.errorField == "body")
        #expect(try harness.transactionsEnd() == 4)

        // Sent chunked (size unknown until its end), it is cut at the limit: the summary says
        // so, nothing past the cut is published.
        let reply = try await harness.send(
            "POST", "/v1/transactions/batch", body: big, contentType: "application/x-ndjson", signer: signer, chunked: true)
        let (lines, summary, accepted) = try Self.outcome(reply)
        #expect((summary["body_error"] as? String)?.contains("body larger than 3000 bytes") == true, "\(summary)")
        #expect(summary["body_sha256"] == nil, "a cut body cannot be verified: \(summary)")
        #expect(lines.count < 60, "lines past the cut were answered")
        #expect(try harness.transactionsEnd() == 4 + Int64(accepted.count))
        await harness.stop()
    }

    @Test("producer queue full: single requests get 429 with Retry-After, batch lines `overloaded`; none of them is published")
    func queueFull() async throws {
        let harness = try await GatewayHarness {
            $0.producerQueueMessages = 3
            $0.queueFullWaitMilliseconds = 200
            $0.deliveryTimeoutMilliseconds = 60_000
            $0.kafkaExtra = ["reconnect.backoff.ms": "50", "reconnect.backoff.max.ms": "500"]
        }
        let signer = try #require(harness.signers["pharmacy"])
        #expect(harness.cluster.setAllBrokers(up: false))
        // Ten requests at once: three fill the queue and wait there for the brokers, the
        // other seven find it full and are answered at once.
        let answered = Answers()
        let requests = (0..<10).map { i in
            Task {
                let txn = "t-\(i)"
                let reply = try await harness.send(
                    "POST", "/v1/transactions", body: accrualJSON(partner: "pharmacy", txn: txn, member: "m-\(i)"),
                    contentType: "application/json", signer: signer)
                answered.list.withLock { $0.append((txn, reply)) }
            }
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while answered.list.withLock({ $0.count }) < 7, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let early = answered.list.withLock { $0 }
        #expect(early.count == 7, "\(early.count) requests answered while the brokers were down")
        for (_, reply) in early {
            #expect(reply.status == 429, "\(reply.body)")
            #expect(reply.headers.first(name: "Retry-After") == "1")
            #expect(reply.errorField == "kafka")
        }
        // A batch meanwhile (batches have a producer of their own, with the same queue size):
        // three lines fill its queue and wait for the brokers, the next four wait 200 ms for
        // room and are answered `overloaded`.
        let batch = Task {
            try await harness.send(
                "POST", "/v1/transactions/batch", body: Self.ndjson("pharmacy", prefix: "batch", count: 7), contentType: "application/x-ndjson",
                signer: signer)
        }
        // The gateway counts every refusal for a full queue: 7 single requests and 4 batch lines.
        let counted = try await harness.waitForMetric("loyalty_gateway_overloaded_total", atLeast: 11)
        #expect(counted == 11)
        #expect(harness.cluster.setAllBrokers(up: true))
        for request in requests { try await request.value }
        let all = answered.list.withLock { $0 }
        let accepted = all.filter { $0.reply.status == 202 }.map(\.txn)
        #expect(accepted.count == 3, "statuses \(all.map(\.reply.status))")
        #expect(all.count == 10)
        let (lines, summary, batchAccepted) = try Self.outcome(try await batch.value)
        #expect(
            lines.map { $0["status"] as? String ?? "?" } == [
                "accepted", "accepted", "accepted", "overloaded", "overloaded", "overloaded", "overloaded",
            ])
        #expect(lines.dropFirst(3).allSatisfy { $0["retry"] as? Bool == true })
        #expect(summary["failed"] as? Int == 4)
        // Only the queued ones (and every one of them) reached the topic.
        let published = accepted + batchAccepted
        #expect(try harness.transactionsEnd() == Int64(published.count))
        #expect(Set(try Self.publishedIds(harness, expected: published.count)) == Set(published))
        await harness.stop()
    }
}

/// Replies collected by concurrent requests.
private final class Answers: Sendable {
    let list = Mutex<[(txn: String, reply: GatewayHarness.Reply)]>([])
}

extension GatewayHarness {
    /// Polls GET /metrics until the counter `name` reaches `atLeast` (or 60 s pass); returns its last value.
    func waitForMetric(_ name: String, atLeast: Double) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(60)
        var value = 0.0
        repeat {
            let reply = try await send("GET", "/metrics", signer: nil)
            value =
                reply.body.split(separator: "\n").compactMap { line -> Double? in
                    let parts = line.split(separator: " ")
                    return parts.count == 2 && parts[0] == name ? Double(parts[1]) : nil
                }.first ?? 0
            if value >= atLeast { return value }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        return value
    }
}
