import Benchmarks
import Foundation
import LoyaltyTesting
import Programme
import Synchronization
import Testing

@testable import Worker

/// How many shards a worker applies at once must change nothing but the speed.
@Suite("Apply threads", .timeLimit(.minutes(10)))
struct ApplyThreadsTests {
    @Test("parallelMap hands every index to exactly one call and returns results in index order")
    func parallelMapOrder() {
        let calls = Mutex<[Int]>([])
        for threads in [1, 2, 3, 16] {
            calls.withLock { $0.removeAll() }
            let results = WorkerLoop.parallelMap(50, threads: threads) { index in
                calls.withLock { $0.append(index) }
                return index * index
            }
            #expect(results == (0..<50).map { $0 * $0 }, "threads \(threads)")
            #expect(calls.withLock { $0.sorted() } == Array(0..<50), "threads \(threads)")
        }
        #expect(WorkerLoop.parallelMap(0, threads: 4) { $0 }.isEmpty)
    }

    @Test("applyThreads is kept within 1...maxApplyThreads; unset means one per core")
    func effectiveThreads() {
        var configuration = WorkerConfiguration(bootstrapServers: "unused:9092", dataDirectory: "unused")
        #expect(configuration.effectiveApplyThreads == min(ProcessInfo.processInfo.activeProcessorCount, WorkerConfiguration.maxApplyThreads))
        configuration.applyThreads = 1
        #expect(configuration.effectiveApplyThreads == 1)
        configuration.applyThreads = 0
        #expect(configuration.effectiveApplyThreads == 1)
        configuration.applyThreads = 1_000
        #expect(configuration.effectiveApplyThreads == WorkerConfiguration.maxApplyThreads)
    }

    @Test("the ledger-alone benchmark gives the same shards on one thread or several, in any batch size")
    func ledgerAloneDigests() throws {
        let partitions: Int32 = 4
        let byPartition = LedgerBenchmark.partitioned(syntheticTransactions(6_000, members: 400, seed: 5), partitionCount: partitions)
        let root = NSTemporaryDirectory() + "loyalty-apply-threads-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        func run(_ name: String, threads: Int, batchSize: Int) throws -> LedgerBenchmark.Result {
            let directory = "\(root)/\(name)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try LedgerBenchmark.run(
                partitions: byPartition, dataDirectory: directory, programme: .sample, batchSize: batchSize, threads: threads)
        }
        let serial = try run("serial", threads: 1, batchSize: 10_000)
        let parallel = try run("parallel", threads: 4, batchSize: 10_000)
        let small = try run("small-batches", threads: 2, batchSize: 97)
        #expect(serial.records == 6_000)
        #expect(parallel.records == 6_000 && small.records == 6_000)
        #expect(serial.digests.count == Int(partitions))
        #expect(Set(serial.digests.values).count == Int(partitions), "each partition holds its own ledger")
        #expect(parallel.digests == serial.digests)
        #expect(small.digests == serial.digests)
    }
}
