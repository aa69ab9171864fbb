import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import LoyaltyWire
import Programme
import SnapshotStore
import SwiftProtobuf
import Testing
import Worker

/// A partition handed to a worker without its shard file: restored from the newest
/// snapshot, only the log after it replayed, nothing published twice.
@Suite("Hand-over from snapshots", .timeLimit(.minutes(10)))
struct HandOverTests {
    @Test("worker B restores A's snapshot, replays only the tail, ends with the undisturbed digest, publishes nothing twice")
    func handOverFromASnapshot() async throws {
        let test = try TestCluster(partitions: 2)
        let store = test.dataDirectory("snapshots")
        let transactions = syntheticTransactions(3_000, members: 60, seed: 33)
        try test.produce(Array(transactions[..<1_500]))
        // A barrier closes cycle 1 in each partition: the seal after which A snapshots.
        let closedAt = transactions[..<1_500].map(\.eventTimeMilliseconds).max()!
        let sealed = try produceBarriers(test, cycle: 1, closedAtMilliseconds: closedAt)

        let dataA = test.dataDirectory("a")
        let a = WorkerPool(count: 1, bootstrapServers: test.bootstrap, dataDirectory: dataA, programme: .sample, logger: test.logger) {
            $0.snapshotDirectory = store
            $0.snapshotEveryCycles = 1
            $0.snapshotEverySeconds = 0
        }
        try await a.waitUntilApplied(sealed, timeoutSeconds: 120)
        let snapshots = try DirectorySnapshotStore(root: store)
        let deadline = Date().addingTimeInterval(180)
        while try (0..<2).contains(where: { try snapshots.newest(partition: $0)?.nextOffset != sealed[$0] }) {
            try #require(Date() < deadline, "A took no snapshot at the seal")
            try await Task.sleep(for: .milliseconds(100))
        }
        try await a.stop()
        try FileManager.default.removeItem(atPath: dataA)

        let ends = try test.produce(Array(transactions[1_500...]))
        let dataB = test.dataDirectory("b")
        let b = WorkerPool(count: 1, bootstrapServers: test.bootstrap, dataDirectory: dataB, programme: .sample, logger: test.logger) {
            $0.snapshotDirectory = store
            $0.snapshotEverySeconds = 0
        }
        try await b.waitUntilApplied(ends, timeoutSeconds: 120)
        try await b.stop()
        // B applied only the tail: exactly the records after each snapshot's offset.
        let tail = (0..<2).reduce(Int64(0)) { $0 + ends[$1]! - sealed[$1]! }
        #expect(b.recordsApplied == tail)

        let reference = try await test.referenceRun("reference", until: ends)
        let got = try test.digests(dataB)
        let want = try test.digests(reference)
        for partition in Int32(0)..<2 {
            #expect(got[partition]?.nextOffset == ends[partition], "partition \(partition)")
            #expect(got[partition]?.digest == want[partition]?.digest, "partition \(partition)")
        }

        // One result per transaction offset: none of the restored range published again.
        let results = try test.results(atLeast: transactions.count)
        var perOffset: [String: Int] = [:]
        for result in results { perOffset["\(result.partition)/\(result.offset)", default: 0] += 1 }
        #expect(perOffset.count == transactions.count)
        #expect(perOffset.values.allSatisfy { $0 == 1 }, "results published twice: \(perOffset.filter { $0.value > 1 })")
    }

    /// A barrier closing `cycle` at the end of every partition; returns the offsets after them.
    private func produceBarriers(_ test: TestCluster, cycle: Int64, closedAtMilliseconds: Int64) throws -> [Int32: Int64] {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: test.bootstrap), logger: test.logger)
        defer { producer.shutdown() }
        let value: [UInt8] = try Loyalty_V1_TransactionEnvelope.barrier(cycle: cycle, closedAtMilliseconds: closedAtMilliseconds).serializedBytes()
        let records = (0..<test.partitions).map { ProducerRecord(topic: test.topics.transactions, partition: $0, key: [], value: value) }
        var ends: [Int32: Int64] = [:]
        for item in try producer.sendAllBlocking(records, timeoutMilliseconds: 60_000) { ends[item.partition] = item.offset + 1 }
        return ends
    }
}
