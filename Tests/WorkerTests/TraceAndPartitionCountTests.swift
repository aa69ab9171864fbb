import Foundation
import Kafka
import Ledger
import LoyaltyWire
import Programme
import Testing

@testable import Worker

/// The worker's part of issue 12's safety and tracing: the verdict on a data directory's
/// partition count, and the trace id a result carries as its Kafka header.
@Suite(.timeLimit(.minutes(10)))
struct TraceAndPartitionCountTests {
    @Test("a data directory passes only for the partition count it was made for")
    func partitionCountVerdict() {
        let topic = "loyalty.transactions"
        #expect(PartitionCountCheck.refusal(directory: "d", topic: topic, recorded: nil, highestShard: nil, live: 8) == nil)
        #expect(PartitionCountCheck.refusal(directory: "d", topic: topic, recorded: 8, highestShard: 7, live: 8) == nil)
        #expect(PartitionCountCheck.refusal(directory: "d", topic: topic, recorded: nil, highestShard: 7, live: 8) == nil)
        let recorded = PartitionCountCheck.refusal(directory: "d", topic: topic, recorded: 8, highestShard: 3, live: 16)
        #expect(recorded?.hasPrefix("partition-count mismatch: the shard files in d were made for 8 partitions of \(topic), which has 16") == true)
        #expect(recorded?.contains("point --data at") == true)
        let inferred = PartitionCountCheck.refusal(directory: "d", topic: topic, recorded: nil, highestShard: 8, live: 8)
        #expect(inferred?.contains("holds a shard of partition 8, but \(topic) has 8 partitions (0...7)") == true)
    }

    @Test("the count is recorded once and read back; shard numbers are read from the file names")
    func partitionCountFile() throws {
        let directory = NSTemporaryDirectory() + "partition-count-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(PartitionCountCheck.recorded(in: directory) == nil)
        #expect(PartitionCountCheck.highestShard(in: directory) == nil)
        try PartitionCountCheck.record(12, in: directory)
        #expect(PartitionCountCheck.recorded(in: directory) == 12)
        for partition: Int32 in [0, 11, 3] {
            #expect(
                FileManager.default.createFile(atPath: WorkerConfiguration.shardPath(dataDirectory: directory, partition: partition), contents: nil))
        }
        #expect(FileManager.default.createFile(atPath: "\(directory)/shard-0099.sqlite-wal", contents: nil))
        #expect(PartitionCountCheck.highestShard(in: directory) == 11)
    }

    @Test("a result carries its transaction's trace id as a header; without one, no header")
    func resultTraceHeader() throws {
        let writer = OutputRecords(topics: Topics(), partition: 0)
        let transaction = Transaction(
            partnerId: "pharmacy", partnerTxnId: "t-1", memberId: "m-1", eventTimeMilliseconds: 1, body: .redemption(points: 1))
        let outputs: [LedgerOutput] = [
            .result(offset: 5, transaction: transaction, outcome: Outcome(status: .accepted), original: nil),
            .result(offset: 6, transaction: transaction, outcome: Outcome(status: .duplicate), original: Outcome(status: .accepted)),
        ]
        var context = OutputRecords.Context()
        context.traceIds[5] = "4bf92f3577b34da6a3ce929d0e0e4736"
        let records = try writer.records(for: outputs, context: context)
        #expect(records.map(\.traceId) == ["4bf92f3577b34da6a3ce929d0e0e4736", nil])
        let replaced = try #require(writer.replacement(for: records[0], error: KafkaError(code: .other, message: "too large")))
        #expect(replaced.record.traceId == "4bf92f3577b34da6a3ce929d0e0e4736")
    }
}
