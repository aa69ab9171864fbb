import Dispatch
import Kafka
import Ledger
import NodeRuntime
import Programme
import Worker

/// The ledger alone, without Kafka: the last line of `loyalty bench worker`, and all of
/// `loyalty bench ledger`.
///
/// Applies each partition's transactions (in log order, offsets from 0) into a fresh
/// shard file, in batches of `batchSize` as the worker's rounds do, shards in parallel on
/// `threads` threads as the worker applies them. No decoding, no results, no acks: what
/// remains is the floor a worker built on these shards cannot go below, whatever its
/// Kafka layer does.
public enum LedgerBenchmark {
    public struct Result: Sendable {
        public var records: Int
        public var seconds: Double
        /// User + system CPU time of this process over the timed part (nil where
        /// `getrusage` fails).
        public var cpuSeconds: Double?
        /// The digest of each shard after the run, by partition.
        public var digests: [Int32: String]
    }

    /// `transactions` split as the producers' partitioner (murmur2 of the member id) puts
    /// them, each partition in the order given.
    public static func partitioned(_ transactions: some Sequence<Transaction>, partitionCount: Int32) -> [[Transaction]] {
        var partitions = [[Transaction]](repeating: [], count: Int(partitionCount))
        for transaction in transactions {
            partitions[Int(Murmur2.partition(key: Array(transaction.memberId.utf8), partitionCount: partitionCount))].append(transaction)
        }
        return partitions
    }

    public static func run(
        partitions: [[Transaction]], dataDirectory: String, programme: Programme,
        batchSize: Int = WorkerConfiguration.defaultMaxBatchRecords, threads: Int
    ) throws -> Result {
        let size = max(1, min(batchSize, LedgerBatch.maxEntries))
        let cpuBefore = processCPUSeconds()
        let started = DispatchTime.now().uptimeNanoseconds
        let applied = WorkerLoop.parallelMap(partitions.count, threads: threads) { index in
            Swift.Result { () throws -> Int in
                let partition = Int32(index)
                let shard = try Shard(
                    path: WorkerConfiguration.shardPath(dataDirectory: dataDirectory, partition: partition),
                    partition: partition, programme: programme)
                defer { shard.close() }
                let transactions = partitions[index]
                var offset = 0
                while offset < transactions.count {
                    let end = min(offset + size, transactions.count)
                    let entries = (offset..<end).map { LedgerEntry(offset: Int64($0), kind: .transaction(transactions[$0])) }
                    _ = try shard.apply(LedgerBatch(entries: entries, nextOffset: Int64(end))) { _ in }
                    offset = end
                }
                return transactions.count
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let cpuSeconds = cpuBefore.flatMap { before in processCPUSeconds().map { $0 - before } }
        var records = 0
        for result in applied { records += try result.get() }
        // Outside the timed part: the digest reads every table.
        var digests: [Int32: String] = [:]
        for index in partitions.indices {
            let partition = Int32(index)
            let shard = try Shard(
                path: WorkerConfiguration.shardPath(dataDirectory: dataDirectory, partition: partition),
                partition: partition, programme: programme)
            defer { shard.close() }
            digests[partition] = try shard.digest()
        }
        return Result(records: records, seconds: seconds, cpuSeconds: cpuSeconds, digests: digests)
    }
}
