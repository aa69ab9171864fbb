import Foundation
import Kafka
import Ledger
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@testable import Worker

/// Every output the worker publishes is bounded by construction, and each refused one has
/// a smaller replacement (or none, for positions).
@Suite(.timeLimit(.minutes(10)))
struct OutputRecordsTests {
    private let writer = OutputRecords(topics: Topics(), partition: 3)
    private static let widest = String(repeating: "~", count: FieldLimits.maxIdBytes)

    private func wideResult(detail: String) throws -> ProducerRecord {
        let transaction = Transaction(
            partnerId: Self.widest, partnerTxnId: Self.widest, memberId: Self.widest, eventTimeMilliseconds: 1,
            body: .redemption(points: 1))
        let outcome = Outcome(status: .duplicate, detail: detail, pointsDelta: .min, balanceAfter: .min)
        let original = Outcome(status: .rejected, reason: .invalidField, detail: detail, pointsDelta: .min, balanceAfter: .min)
        var context = OutputRecords.Context()
        context.traceIds[Int64.max] = String(repeating: "t", count: FieldLimits.maxTraceIdBytes)
        let records = try writer.records(
            for: [.result(offset: .max, transaction: transaction, outcome: outcome, original: original)], context: context)
        return try #require(records.first)
    }

    @Test func resultsAreSmallWhateverTheDetailQuotes() throws {
        let record = try wideResult(detail: String(repeating: "ü", count: 100_000))
        // Ids and trace at their limits, two details cut to 512 bytes, every number at its widest.
        #expect(record.value.count < 2_048, "\(record.value.count) bytes")
        let result = try Loyalty_V1_TransactionResult(serializedBytes: record.value)
        #expect(result.outcome.reasonDetail.utf8.count <= FieldLimits.maxDetailBytes)
        #expect(result.outcome.reasonDetail.hasSuffix("..."))
        #expect(result.original.reasonDetail == result.outcome.reasonDetail)
        // Details within the bound are published as they are (replays give the same bytes).
        let short = try Loyalty_V1_TransactionResult(serializedBytes: try wideResult(detail: "points: must be > 0").value)
        #expect(short.outcome.reasonDetail == "points: must be > 0")
    }

    @Test func deadLettersCarryABoundedPartOfTheRecord() throws {
        let value = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        let key = [UInt8](repeating: 0x6B, count: 5_000)
        let source = ConsumerRecord(topic: "loyalty.transactions", partition: 3, offset: 77, key: key, value: value, timestampMilliseconds: 0)
        let record = try writer.deadLetter(source, reason: "record: not a loyalty.v1.TransactionEnvelope")
        #expect(record.key == nil)
        #expect(record.value.count < DeadLetterEncoder.maxRawValueBytes + DeadLetterEncoder.maxRawKeyBytes + 1_024)
        let letter = try Loyalty_V1_DeadLetter(serializedBytes: record.value)
        #expect(Array(letter.rawValue) == Array(value.prefix(DeadLetterEncoder.maxRawValueBytes)))
        #expect(Array(letter.rawKey) == Array(key.prefix(DeadLetterEncoder.maxRawKeyBytes)))
        #expect(letter.offset == 77 && letter.partition == 3)
        #expect(
            letter.reason == "record: not a loyalty.v1.TransactionEnvelope (raw_value holds the first 65536 of 200000 bytes; "
                + "raw_key holds the first 1024 of 5000 bytes; the whole record stays at its offset in loyalty.transactions)")
        // A small record is carried whole, keyed as it was.
        let small = ConsumerRecord(topic: "loyalty.transactions", partition: 3, offset: 78, key: [0x6D], value: [0xFF], timestampMilliseconds: 0)
        let smallLetter = try writer.deadLetter(small, reason: "record: x")
        #expect(smallLetter.key == [0x6D])
        #expect(try Loyalty_V1_DeadLetter(serializedBytes: smallLetter.value).reason == "record: x")
    }

    @Test func replacementsWithholdFreeTextAndRawBytes() throws {
        let refusal = KafkaError(code: .delivery, message: "too large", rdkafkaCode: 10)
        let original = try wideResult(detail: String(repeating: "d", count: 400))
        let (record, offset) = try #require(writer.replacement(for: original, error: refusal))
        #expect(offset == .max)
        #expect(record.key == original.key && record.topic == original.topic)
        let result = try Loyalty_V1_TransactionResult(serializedBytes: record.value)
        let full = try Loyalty_V1_TransactionResult(serializedBytes: original.value)
        #expect(result.outcome.reasonDetail == "reason_detail withheld: the full result could not be published (MSG_SIZE_TOO_LARGE)")
        #expect(result.original.reasonDetail.isEmpty && result.original.reason == .invalidField)
        var expected = full
        expected.outcome.reasonDetail = result.outcome.reasonDetail
        expected.original.reasonDetail = ""
        #expect(result == expected)
        // The same refusal gives the same bytes (a replayed round republishes them).
        #expect(writer.replacement(for: original, error: refusal)?.record.value == record.value)

        let source = ConsumerRecord(topic: "loyalty.transactions", partition: 3, offset: 9, key: [1], value: [2, 3], timestampMilliseconds: 0)
        let letter = try writer.deadLetter(source, reason: "record: bad")
        let (letterReplacement, letterOffset) = try #require(writer.replacement(for: letter, error: refusal))
        #expect(letterOffset == 9 && letterReplacement.key == nil)
        let replaced = try Loyalty_V1_DeadLetter(serializedBytes: letterReplacement.value)
        #expect(replaced.rawValue.isEmpty && replaced.rawKey.isEmpty && replaced.offset == 9)
        #expect(replaced.reason.hasPrefix("record: bad (raw_value and raw_key withheld"))

        let position = ProducerRecord(topic: Topics().positions, partition: nil, key: nil, value: [8, 1])
        #expect(writer.replacement(for: position, error: refusal) == nil)
    }

    /// A result carries the ledger's outcomes, the trace id, partition and offset; an inquiry its request.
    @Test func outputRecordsDecodeToTheLedgersOutcome() throws {
        let writer = OutputRecords(topics: Topics(), partition: 5)
        let transaction = Transaction(
            partnerId: "fuel", partnerTxnId: "t-1", memberId: "m-1", eventTimeMilliseconds: 1,
            body: .redemption(points: 30))
        let outcome = Outcome(status: .duplicate, detail: "seen", pointsDelta: 0, balanceAfter: 70)
        let original = Outcome(status: .accepted, pointsDelta: -30, balanceAfter: 70)
        var context = OutputRecords.Context()
        context.traceIds[9] = "trace"
        context.inquiries[10] = ("cinema", "req-1", "trace-2")
        let records = try writer.records(
            for: [
                .result(offset: 9, transaction: transaction, outcome: outcome, original: original),
                .inquiry(offset: 10, memberId: "m-1", balance: 70),
            ], context: context)
        let result = try Loyalty_V1_TransactionResult(serializedBytes: records[0].value)
        #expect(result.outcome == Loyalty_V1_Outcome(outcome))
        #expect(result.original == Loyalty_V1_Outcome(original))
        #expect(result.traceID == "trace" && result.partition == 5 && result.offset == 9)
        #expect(records[0].key == Array("m-1".utf8))
        let inquiry = try Loyalty_V1_TransactionResult(serializedBytes: records[1].value)
        #expect(inquiry.isInquiry && inquiry.outcome.balanceAfter == 70 && inquiry.partnerTxnID == "req-1")
        #expect(inquiry.hasOutcome && !inquiry.hasOriginal)
    }

    @Test func onlyRecordLevelErrorsArePermanent() {
        for code: Int32 in [2, 4, 10, 18, 87, -199] {
            #expect(KafkaError(code: .delivery, message: "", rdkafkaCode: code).isPermanent, "\(code)")
        }
        // Broker down, timeouts, leader moves, authorization, unknown topic: every record alike.
        for code: Int32 in [-195, -187, -192, 7, 6, 29, 3, -185] {
            #expect(!KafkaError(code: .delivery, message: "", rdkafkaCode: code).isPermanent, "\(code)")
        }
        #expect(!KafkaError(code: .timedOut, message: "").isPermanent)
        // The short names a replacement's text quotes.
        #expect(RecordRefusal.name(KafkaError(code: .delivery, message: "", rdkafkaCode: 10)) == "MSG_SIZE_TOO_LARGE")
        #expect(RecordRefusal.name(KafkaError(code: .delivery, message: "", rdkafkaCode: -199)) == "_BAD_MSG")
        #expect(RecordRefusal.name(KafkaError(code: .timedOut, message: "")) == "timedOut")
    }
}
