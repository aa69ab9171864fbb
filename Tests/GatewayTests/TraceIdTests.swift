import Foundation
import Kafka
import Logging
import LoyaltyTesting
import LoyaltyWire
import NIOHTTP1
import Programme
import SwiftProtobuf
import Synchronization
import Testing
import Worker

@testable import Gateway

/// A partner's W3C `traceparent` becomes the transaction's trace id: in the answer, on the
/// transaction record, in the worker's log lines and on the result.
@Suite("Trace ids from traceparent through Kafka and the worker", .timeLimit(.minutes(10)))
struct TraceIdTests {
    static let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let traceParent = "00-\(traceId)-00f067aa0ba902b7-01"

    @Test(
        "traceparent: the trace-id of a well-formed header; anything else is ignored",
        arguments: [
            (traceParent, traceId),
            ("01-\(traceId)-00f067aa0ba902b7-01-later-fields", traceId),
            ("01-\(traceId)-00f067aa0ba902b7-00", traceId),
            ("00-\(traceId)-00f067aa0ba902b7-01-extra", nil),
            ("ff-\(traceId)-00f067aa0ba902b7-01", nil),
            ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", nil),
            ("00-\(traceId)-0000000000000000-01", nil),
            ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", nil),
            ("00-\(traceId)00f067aa0ba902b7-01", nil),
            ("garbage", nil),
            ("", nil),
        ] as [(String, String?)])
    func parsing(header: String, expected: String?) {
        #expect(TraceParent.traceId(header) == expected)
    }

    @Test("the envelope's own trace_id wins; then the header's; else a new one")
    func stamping() {
        var own = Loyalty_V1_TransactionEnvelope()
        own.traceID = "partner-trace"
        EdgeValidator.stamp(&own, nowMilliseconds: 1, traceParent: Self.traceParent)
        #expect(own.traceID == "partner-trace")
        var fromHeader = Loyalty_V1_TransactionEnvelope()
        EdgeValidator.stamp(&fromHeader, nowMilliseconds: 1, traceParent: Self.traceParent)
        #expect(fromHeader.traceID == Self.traceId)
        var made = Loyalty_V1_TransactionEnvelope()
        EdgeValidator.stamp(&made, nowMilliseconds: 1, traceParent: "not a traceparent")
        #expect(made.traceID.utf8.count == 32 && made.traceID != Self.traceId)
    }

    @Test("a request with traceparent: the answer, the worker's log lines and the result carry its trace id")
    func endToEnd() async throws {
        let harness = try await GatewayHarness()
        let lines = CapturedLog()
        var workerLogger = Logger(label: "worker-under-test") { label in CapturingHandler(label: label, lines: lines) }
        workerLogger.logLevel = .debug
        let pool = WorkerPool(
            count: 1, bootstrapServers: harness.cluster.bootstrapServers, dataDirectory: "\(harness.directory)/traced",
            programme: .sample, groupId: "traced-\(UUID())", logger: workerLogger)
        let member = "member-traced"
        let answer = try await harness.send(
            "POST", "/v1/transactions?wait=true&timeout_ms=30000", body: accrualJSON(partner: "pharmacy", txn: "t-1", member: member),
            contentType: "application/json", signer: harness.signers["pharmacy"]!
        ) { headers in headers.add(name: "traceparent", value: Self.traceParent) }
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.json["status"] as? String == "ACCEPTED")
        #expect(answer.json["trace_id"] as? String == Self.traceId)
        #expect(answer.headers["trace-id"].first == Self.traceId)

        let transactions = try Self.readWithHeaders(harness.topics.transactions, harness)
        #expect(transactions.map(\.traceId) == [Self.traceId])
        let results = try Self.readWithHeaders(harness.topics.results, harness)
        let result = try Loyalty_V1_TransactionResult(serializedBytes: try #require(results.first).value)
        #expect(result.traceID == Self.traceId)
        #expect(results.map(\.traceId) == [Self.traceId])
        let applied = lines.snapshot.filter { $0.message == "transaction applied" }
        #expect(applied.count == 1)
        #expect(applied.first?.metadata["trace_id"] == Self.traceId)
        #expect(applied.first?.metadata["partner_txn_id"] == "t-1")
        try await pool.stop()
        await harness.stop()
    }

    /// The first record of `topic`, read by a consumer that asks for the trace-id header
    /// (`ConsumerConfiguration.readsTraceIds`; nodes leave it off).
    static func readWithHeaders(_ topic: String, _ harness: GatewayHarness) throws -> [ConsumerRecord] {
        var configuration = ConsumerConfiguration(bootstrapServers: harness.cluster.bootstrapServers, groupId: "traced-\(UUID())", topics: [topic])
        configuration.readsTraceIds = true
        let consumer = try KafkaConsumer(configuration: configuration, listener: nil, logger: harness.logger)
        defer { consumer.close() }
        return try consume(consumer, timeoutSeconds: 60) { !$0.isEmpty }
    }
}

/// Log lines kept for a test to look at.
final class CapturedLog: Sendable {
    struct Line: Sendable {
        let message: String
        let metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    func append(_ line: Line) { lines.withLock { $0.append(line) } }
    var snapshot: [Line] { lines.withLock { $0 } }
}

struct CapturingHandler: LogHandler {
    let label: String
    let lines: CapturedLog
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        lines.append(.init(message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
