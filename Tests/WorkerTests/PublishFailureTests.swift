import Foundation
import Kafka
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing
import Worker

/// A permanent publish error for one output never stops a partition (issue 9 item 4): the
/// output is replaced by a bounded one, the records after it are applied, and nothing is
/// lost or published twice.
@Suite("Outputs Kafka refuses", .timeLimit(.minutes(10)))
struct PublishFailureTests {
    private static let t0: Int64 = 1_767_225_600_000  // 2026-01-01

    private func accrual(_ id: String, member: String = "m-1", partner: String = "fuel") -> Transaction {
        Transaction(
            partnerId: partner, partnerTxnId: id, memberId: member, eventTimeMilliseconds: Self.t0,
            body: .accrual(amountMinor: 10_000, currency: "EUR", category: ""))
    }

    private func bytes(_ transaction: Transaction) throws -> [UInt8] {
        try Loyalty_V1_TransactionEnvelope(transaction).serializedBytes()
    }

    /// A record just under Kafka's message limit (librdkafka's default message.max.bytes,
    /// 1,000,000, counts 36 bytes of framing and the key) that is not an envelope: its dead
    /// letter, which carried the whole record plus the reason, was over the limit, and the
    /// worker retried it for ever.
    @Test("a dead letter of a record near Kafka's limit is bounded, and the partition goes on")
    func oversizedRecordIsDeadLettered() async throws {
        let test = try TestCluster(partitions: 1)
        let huge = [UInt8](repeating: 0xFF, count: 999_900)
        let ends = try test.produce([
            ("m-1", try bytes(accrual("before"))), ("m-1", huge), ("m-1", try bytes(accrual("after"))),
        ])
        let pool = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("w"), programme: .sample,
            logger: test.logger)
        try await pool.waitUntilApplied(ends, timeoutSeconds: 180)
        try await pool.stop()

        let letters = try test.read(test.topics.deadLetters, atLeast: 1).map { try Loyalty_V1_DeadLetter(serializedBytes: $0.value) }
        let letter = try #require(letters.count == 1 ? letters.first : nil, "\(letters.count) dead letters")
        #expect(letter.offset == 1)
        #expect(letter.rawValue.count < huge.count && Array(letter.rawValue) == Array(huge.prefix(letter.rawValue.count)))
        #expect(letter.reason.hasPrefix("record:"))
        #expect(letter.reason.contains("first \(letter.rawValue.count) of 999900 bytes"))
        let results = try test.results(atLeast: 2).map(\.partnerTxnID)
        #expect(results.sorted() == ["after", "before"])
        #expect(pool.deadLetters == 1)
    }

    /// The worker's producer refuses a result larger than its message.max.bytes (here the
    /// smallest librdkafka allows, so that a duplicate of a rejection with ids at their
    /// 128-byte limit is over it): the result is replaced by one without its free text.
    @Test("a result the producer refuses is replaced by a bounded one, and the partition goes on")
    func refusedResultIsReplaced() async throws {
        let test = try TestCluster(partitions: 1)
        let wide = Transaction(
            partnerId: String(repeating: "p", count: 128), partnerTxnId: String(repeating: "t", count: 128),
            memberId: String(repeating: "m", count: 128), eventTimeMilliseconds: Self.t0,
            body: .accrual(amountMinor: 10_000, currency: "EUR", category: ""))
        let traceId = String(repeating: "r", count: FieldLimits.maxTraceIdBytes)
        let wideBytes: [UInt8] = try Loyalty_V1_TransactionEnvelope(wide, traceId: traceId).serializedBytes()
        let ends = try test.produce([
            (wide.memberId, wideBytes), (wide.memberId, wideBytes), (wide.memberId, try bytes(accrual("after", member: wide.memberId))),
        ])
        let pool = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("w"), programme: .sample,
            logger: test.logger
        ) { $0.kafkaExtra["message.max.bytes"] = "1000" }
        try await pool.waitUntilApplied(ends, timeoutSeconds: 180)
        let replaced = pool.workers[0].progress.snapshot.replacedOutputs
        try await pool.stop()

        // One result per record, none twice. The replacement is published after the round's
        // other results, so it may come after later ones: results carry their offset.
        let results = try test.results(atLeast: 3).sorted { $0.offset < $1.offset }
        #expect(results.map(\.offset) == [0, 1, 2])
        guard results.count == 3 else { return }
        let first = results[0], duplicate = results[1], after = results[2]
        #expect(first.outcome.status == .rejected && first.outcome.reason == .unknownPartner)
        #expect(first.outcome.reasonDetail.contains("is not a partner"))
        // The replacement: every field a partner acts on, the free text withheld.
        #expect(duplicate.partnerID == wide.partnerId && duplicate.partnerTxnID == wide.partnerTxnId)
        #expect(duplicate.memberID == wide.memberId && duplicate.traceID == traceId)
        #expect(duplicate.outcome.status == .duplicate)
        #expect(duplicate.original.status == .rejected && duplicate.original.reason == .unknownPartner)
        #expect(duplicate.outcome.reasonDetail.hasPrefix("reason_detail withheld"))
        #expect(duplicate.outcome.reasonDetail.contains("MSG_SIZE_TOO_LARGE"))
        #expect(duplicate.original.reasonDetail.isEmpty)
        #expect(duplicate.partition == 0)
        #expect(after.partnerTxnID == "after" && after.outcome.status == .accepted)
        #expect(replaced == 1)
    }

    /// The broker refuses the produce request holding a result (MESSAGE_TOO_LARGE, as a
    /// topic with a smaller max.message.bytes answers; injected on the mock cluster, which
    /// has no size limit): the delivery report carries the error, and the worker publishes
    /// the replacement instead of retrying the round for ever.
    @Test("a result the broker refuses is replaced, and the partition goes on")
    func brokerRefusalIsReplaced() async throws {
        let test = try TestCluster(partitions: 1)
        func worker() -> WorkerPool {
            WorkerPool(
                count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("w"), programme: .sample,
                logger: test.logger)
        }
        // A first worker applies one record and leaves, so the next Produce request on the
        // cluster is the second worker's, for its first result.
        let first = worker()
        try await first.waitUntilApplied(try test.produce([accrual("a")]), timeoutSeconds: 180)
        try await first.stop()
        let refused = try test.produce([accrual("b", partner: "nobody")])
        test.cluster.pushRequestErrors(apiKey: 0, errors: [10])  // Produce: MSG_SIZE_TOO_LARGE
        let second = worker()
        try await second.waitUntilApplied(refused, timeoutSeconds: 180)
        try await second.waitUntilApplied(try test.produce([accrual("c")]), timeoutSeconds: 180)
        let replaced = second.workers[0].progress.snapshot.replacedOutputs
        try await second.stop()

        let results = try test.results(atLeast: 3).sorted { $0.offset < $1.offset }
        #expect(results.map(\.partnerTxnID) == ["a", "b", "c"])
        #expect(results.map(\.offset) == [0, 1, 2])
        #expect(replaced == 1)
        guard results.count == 3 else { return }
        #expect(results[1].outcome.status == .rejected && results[1].outcome.reason == .unknownPartner)
        #expect(results[1].outcome.reasonDetail == "reason_detail withheld: the full result could not be published (MSG_SIZE_TOO_LARGE)")
        #expect(results[2].outcome.status == .accepted)
    }
}
