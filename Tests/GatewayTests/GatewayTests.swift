import Foundation
import Gateway
import Kafka
import LoyaltyTesting
import LoyaltyWire
import NIOHTTP1
import SwiftProtobuf
import Testing
import Worker

@Suite("Gateway over loopback on the mock cluster", .serialized, .timeLimit(.minutes(10)))
struct GatewayTests {
    @Test("a signed transaction is published keyed by member, stamped, on the partition murmur2 predicts")
    func signedAccepted() async throws {
        let harness = try await GatewayHarness()
        let body = accrualJSON(partner: "pharmacy", txn: "t-1", member: "member-42")
        let reply = try await harness.send(
            "POST", "/v1/transactions", body: body, contentType: "application/json", signer: harness.signers["pharmacy"])
        #expect(reply.status == 202, "\(reply.body)")
        let json = reply.json
        #expect(json["partner_txn_id"] as? String == "t-1")
        let traceId = try #require(json["trace_id"] as? String)
        #expect(!traceId.isEmpty)
        let partition = try #require(json["partition"] as? Int)
        #expect(Int32(partition) == Murmur2.partition(key: Array("member-42".utf8), partitionCount: harness.partitions))

        let records = try harness.read(harness.topics.transactions, atLeast: 1)
        let record = try #require(records.first)
        #expect(record.key == Array("member-42".utf8))
        #expect(record.partition == Int32(partition))
        #expect(record.offset == Int64(json["offset"] as? Int ?? -1))
        let envelope = try Loyalty_V1_TransactionEnvelope(serializedBytes: record.value)
        #expect(envelope.receivedAtMs > 0)
        #expect(envelope.traceID == traceId)
        #expect(envelope.accrual.amountMinor == 10_000)
        await harness.stop()
    }

    @Test("refused requests get the right status and field, and nothing is published")
    func refusals() async throws {
        let harness = try await GatewayHarness { $0.maxBodyBytes = 4096 }
        let before = try harness.transactionsEnd()
        let pharmacy = harness.signers["pharmacy"]!
        let good = accrualJSON(partner: "pharmacy", txn: "r-1", member: "m-1")

        func expectRefused(_ reply: GatewayHarness.Reply, _ status: Int, field: String, _ what: Comment) {
            #expect(reply.status == status, what)
            #expect(reply.errorField == field, "\(what): \(reply.body)")
        }

        expectRefused(
            try await harness.send("POST", "/v1/transactions", body: good, contentType: "application/json", signer: nil), 401,
            field: RequestSigner.keyIdHeader, "unsigned")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: good, contentType: "application/json", signer: pharmacy,
                timestampMilliseconds: RequestSigner.nowMilliseconds() - 6 * 60 * 1000), 401, field: RequestSigner.timestampHeader, "expired")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: good, contentType: "application/json",
                signer: RequestSigner(keyId: "nobody", secret: "0123456789abcdef0123")), 401, field: RequestSigner.keyIdHeader, "unknown key")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: good, contentType: "application/json",
                signer: RequestSigner(keyId: "pharmacy-k1", secret: "wrong-secret-0123456789")), 401, field: RequestSigner.signatureHeader,
            "bad signature")
        // Replay: the same signed request twice. The first is refused for its body (so
        // nothing is published), the second must be refused as a replay before that.
        let unknownField = Array(
            #"{"partnerId":"pharmacy","partnerTxnId":"r-2","memberId":"m-1","occurredAtMs":"1","colour":"red","redemption":{"points":"5"}}"#.utf8)
        let timestamp = RequestSigner.nowMilliseconds()
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: unknownField, contentType: "application/json", signer: pharmacy,
                timestampMilliseconds: timestamp), 400, field: "colour", "unknown field")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: unknownField, contentType: "application/json", signer: pharmacy,
                timestampMilliseconds: timestamp), 401, field: RequestSigner.signatureHeader, "replayed")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: accrualJSON(partner: "pharmacy", txn: "r-3", member: "m-1"), contentType: "application/json",
                signer: harness.signers["fuel"]), 403, field: "partner_id", "wrong partner")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: Array(#"{"partnerId": "#.utf8), contentType: "application/json", signer: pharmacy),
            400, field: "body", "malformed JSON")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions",
                body: Array(#"{"partnerId":"pharmacy","memberId":"m-1","occurredAtMs":"1","redemption":{"points":"5"}}"#.utf8),
                contentType: "application/json", signer: pharmacy), 400, field: "partner_txn_id", "missing field")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: accrualJSON(partner: "pharmacy", txn: "r-4", member: "m-1", amountMinor: 0),
                contentType: "application/json", signer: pharmacy), 400, field: "accrual.amount_minor", "zero amount")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: accrualJSON(partner: "pharmacy", txn: "r-5", member: "m-1", currency: "USD"),
                contentType: "application/json", signer: pharmacy), 400, field: "accrual.currency", "wrong currency")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions",
                body: Array(#"{"partnerId":"pharmacy","partnerTxnId":"b","memberId":"m","occurredAtMs":"1","barrier":{"cycle":"1"}}"#.utf8),
                contentType: "application/json", signer: pharmacy), 400, field: "barrier", "barrier")
        expectRefused(
            try await harness.send(
                "POST", "/v1/transactions", body: [UInt8](repeating: 32, count: 5000) + good, contentType: "application/json", signer: pharmacy),
            413, field: "body", "oversized")
        let after = try harness.transactionsEnd()
        #expect(after == before, "records were published for refused requests")
        await harness.stop()
    }

    @Test("brokers down: unpublished requests get 503/429, every 202 reaches the ledger")
    func brokersDown() async throws {
        let harness = try await GatewayHarness {
            $0.deliveryTimeoutMilliseconds = 1_500
            // Reconnect promptly once the brokers are back (librdkafka backs off up to 10 s).
            $0.kafkaExtra = ["reconnect.backoff.ms": "50", "reconnect.backoff.max.ms": "500"]
        }
        let started = ContinuousClock.now
        let signer = harness.signers["pharmacy"]!
        var accepted: [String] = []
        var refused = 0
        var other: [Int] = []
        for i in 0..<50 {
            if i == 15 { _ = harness.cluster.setAllBrokers(up: false) }
            if i == 27 { _ = harness.cluster.setAllBrokers(up: true) }
            let txn = "down-\(i)"
            let reply = try await harness.send(
                "POST", "/v1/transactions", body: accrualJSON(partner: "pharmacy", txn: txn, member: "m-\(i % 7)"), contentType: "application/json",
                signer: signer)
            switch reply.status {
            case 202: accepted.append(txn)
            case 503, 429:
                refused += 1
                #expect(reply.headers.first(name: "Retry-After") != nil)
            default: other.append(reply.status)
            }
            if i >= 15 && i < 27 { try await Task.sleep(for: .milliseconds(50)) }
        }
        let sent = ContinuousClock.now
        #expect(other.isEmpty, "unexpected statuses \(other)")
        #expect(refused > 0, "no request was refused while the brokers were down")
        #expect(accepted.count >= 25)
        let pool = harness.startWorkers()
        let wanted = Set(accepted)
        let results = try harness.read(harness.topics.results, timeoutSeconds: 120) { records in
            let ids = Set(records.compactMap { try? Loyalty_V1_TransactionResult(serializedBytes: $0.value).partnerTxnID })
            return wanted.isSubset(of: ids)
        }.compactMap { try? Loyalty_V1_TransactionResult(serializedBytes: $0.value) }
        let resulted = Set(results.map(\.partnerTxnID))
        let missing = accepted.filter { !resulted.contains($0) }
        #expect(missing.isEmpty, "acknowledged but not in the ledger: \(missing)")
        print("brokersDown: \(accepted.count) accepted, \(refused) refused; sending took \(sent - started), checking \(ContinuousClock.now - sent)")
        try await pool.stop()
        await harness.stop()
    }

    @Test("wait=true: redemption answers ACCEPTED with the new balance or REJECTED INSUFFICIENT_POINTS; balance inquiry follows the log")
    func waitAndBalance() async throws {
        let harness = try await GatewayHarness()
        let pool = harness.startWorkers()
        let signer = harness.signers["pharmacy"]!
        let member = "member-wait"
        // 10,000 minor at pharmacy/pharmacy (600 bp, point value 1) = 600 points.
        let earn = try await harness.send(
            "POST", "/v1/transactions?wait=true&timeout_ms=30000", body: accrualJSON(partner: "pharmacy", txn: "w-1", member: member),
            contentType: "application/json", signer: signer)
        #expect(earn.status == 200, "\(earn.body)")
        #expect(earn.json["status"] as? String == "ACCEPTED")
        let earned = try #require(earn.json["balance_after"] as? Int)
        #expect(earned > 0)

        let pay = try await harness.send(
            "POST", "/v1/transactions?wait=true&timeout_ms=30000", body: redemptionJSON(partner: "pharmacy", txn: "w-2", member: member, points: 100),
            contentType: "application/json", signer: signer)
        #expect(pay.status == 200, "\(pay.body)")
        #expect(pay.json["status"] as? String == "ACCEPTED")
        #expect(pay.json["balance_after"] as? Int == earned - 100)
        #expect(pay.json["points_delta"] as? Int == -100)

        let tooMuch = try await harness.send(
            "POST", "/v1/transactions?wait=true&timeout_ms=30000",
            body: redemptionJSON(partner: "pharmacy", txn: "w-3", member: member, points: 1_000_000), contentType: "application/json", signer: signer)
        #expect(tooMuch.status == 200, "\(tooMuch.body)")
        #expect(tooMuch.json["status"] as? String == "REJECTED")
        #expect(tooMuch.json["reason"] as? String == "INSUFFICIENT_POINTS")

        let again = try await harness.send(
            "POST", "/v1/transactions?wait=true&timeout_ms=30000", body: redemptionJSON(partner: "pharmacy", txn: "w-2", member: member, points: 100),
            contentType: "application/json", signer: signer)
        #expect(again.json["status"] as? String == "DUPLICATE")
        #expect((again.json["original"] as? [String: Any])?["status"] as? String == "ACCEPTED")

        // Published without waiting, then asked: the inquiry sits behind it in the log.
        let more = try await harness.send(
            "POST", "/v1/transactions", body: redemptionJSON(partner: "pharmacy", txn: "w-4", member: member, points: 50),
            contentType: "application/json", signer: signer)
        #expect(more.status == 202)
        let balance = try await harness.send("GET", "/v1/members/\(member)/balance?timeout_ms=30000", signer: harness.signers["fuel"])
        #expect(balance.status == 200, "\(balance.body)")
        #expect(balance.json["balance"] as? Int == earned - 150)
        try await pool.stop()
        await harness.stop()
    }

    @Test("batch: one status per line in order; invalid lines unpublished, valid ones published")
    func batchMixed() async throws {
        let harness = try await GatewayHarness()
        let before = try harness.transactionsEnd()
        var lines: [[UInt8]] = []
        for i in 0..<200 { lines.append(accrualJSON(partner: "cinema", txn: "b-\(i)", member: "m-\(i % 13)")) }
        lines[3] = Array(
            #"{"partnerId":"cinema","partnerTxnId":"x","memberId":"m","occurredAtMs":"1","accrual":{"amountMinor":"-5","currency":"EUR"}}"#.utf8)
        lines[7] = Array("not json".utf8)
        lines[50] = accrualJSON(partner: "pharmacy", txn: "other", member: "m")
        lines[199] = Array(#"{"partnerId":"cinema","partnerTxnId":"y","memberId":"m","occurredAtMs":"1","size":3}"#.utf8)
        let body = Array(lines.joined(separator: [10])) + [10]
        let reply = try await harness.send(
            "POST", "/v1/transactions/batch", body: body, contentType: "application/x-ndjson", signer: harness.signers["cinema"])
        #expect(reply.status == 200, "\(reply.body.prefix(400))")
        let statuses = reply.body.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
        #expect(statuses.count == 201)
        for (index, status) in statuses.dropLast().enumerated() {
            #expect(status["line"] as? Int == index + 1)
            let expected = [3: "invalid", 7: "invalid", 50: "forbidden", 199: "invalid"][index] ?? "accepted"
            #expect(status["status"] as? String == expected, "line \(index + 1): \(status)")
        }
        #expect(((statuses[3]["error"] as? [String: Any])?["field"] as? String) == "accrual.amount_minor")
        #expect(((statuses[199]["error"] as? [String: Any])?["field"] as? String) == "size")
        let summary = try #require(statuses.last?["summary"] as? [String: Any])
        #expect(summary["accepted"] as? Int == 196)
        #expect(summary["body_sha256"] as? String == "verified")
        #expect(try harness.transactionsEnd() == before + 196)

        // Without the content hash header the batch is refused before anything is read.
        let unsignedHash = try await harness.send(
            "POST", "/v1/transactions/batch", body: body, contentType: "application/x-ndjson", signer: harness.signers["cinema"]
        ) { $0.remove(name: RequestSigner.contentSHA256Header) }
        #expect(unsignedHash.status == 400)
        #expect(try harness.transactionsEnd() == before + 196)
        await harness.stop()
    }

    @Test("protobuf: a single envelope and a length-delimited batch are accepted")
    func protobufBodies() async throws {
        let harness = try await GatewayHarness()
        let before = try harness.transactionsEnd()
        func envelope(_ txn: String) -> Loyalty_V1_TransactionEnvelope {
            .with {
                $0.partnerID = "fuel"
                $0.partnerTxnID = txn
                $0.memberID = "m-pb"
                $0.occurredAtMs = 1_790_000_000_000
                $0.redemption = .with { $0.points = 3 }
            }
        }
        let single: [UInt8] = try envelope("pb-1").serializedBytes()
        let reply = try await harness.send(
            "POST", "/v1/transactions", body: single, contentType: "application/x-protobuf", signer: harness.signers["fuel"])
        #expect(reply.status == 202, "\(reply.body)")

        var body: [UInt8] = []
        for txn in ["pb-2", "pb-3", "pb-4"] {
            let bytes: [UInt8] = try envelope(txn).serializedBytes()
            var length = UInt64(bytes.count)
            while length >= 0x80 {
                body.append(UInt8(length & 0x7f) | 0x80)
                length >>= 7
            }
            body.append(UInt8(length))
            body += bytes
        }
        let batch = try await harness.send(
            "POST", "/v1/transactions/batch", body: body, contentType: "application/x-protobuf-delimited", signer: harness.signers["fuel"])
        let lines = batch.body.split(separator: "\n")
        #expect(lines.count == 4, "\(batch.body)")
        #expect(lines.prefix(3).allSatisfy { $0.contains("\"status\":\"accepted\"") })
        #expect(try harness.transactionsEnd() == before + 4)
        await harness.stop()
    }
}
