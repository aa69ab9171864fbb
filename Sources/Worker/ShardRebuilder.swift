import Foundation
import Ledger
import Logging
import Programme

/// Replays one partition from offset 0 into a new shard file, publishing nothing.
///
/// Rule 1 of the design: a shard is a deterministic function of its partition's
/// records, so the rebuilt file must have the live file's digest at the same offset, and
/// every sealed cycle the live file's chained digest (`firstDifference` names the first
/// cycle where they part).
public struct ShardRebuilder: Sendable {
    public struct Result: Sendable {
        public let path: String
        public let nextOffset: Int64
        public let digest: String
        /// Every sealed cycle's position, with its chained digest.
        public let positions: [CyclePosition]
    }

    /// A cycle whose sealed digest differs between the live and the rebuilt file, or that
    /// only one of them sealed (nil on that side).
    public struct CycleDifference: Sendable, Equatable {
        public let cycle: Int64
        public let live: String?
        public let rebuilt: String?
    }

    let bootstrapServers: String
    let kafkaExtra: [String: String]
    let programme: Programme
    let logger: Logger

    public init(bootstrapServers: String, kafkaExtra: [String: String] = [:], programme: Programme, logger: Logger) {
        self.bootstrapServers = bootstrapServers
        self.kafkaExtra = kafkaExtra
        self.programme = programme
        self.logger = logger
    }

    /// Rebuilds `partition` up to (excluding) `endOffset` into `directory`, replacing any
    /// earlier rebuild there.
    public func rebuild(partition: Int32, upTo endOffset: Int64, into directory: String) async throws -> Result {
        var configuration = WorkerConfiguration(bootstrapServers: bootstrapServers, dataDirectory: directory)
        // A group of its own, so the live workers' assignment is not disturbed.
        configuration.groupId = "loyalty-rebuild-\(partition)-\(UInt64.random(in: 0...UInt64.max))"
        configuration.clientId = "loyalty-rebuild"
        configuration.publishOutputs = false
        configuration.exitWhenCaughtUp = true
        configuration.stopOffsets = [partition: endOffset]
        configuration.kafkaExtra = kafkaExtra
        let path = configuration.shardPath(partition: partition)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
        let worker = AccrualWorker(configuration: configuration, programme: programme, logger: logger)
        try await worker.run()
        if let failure = worker.progress.snapshot.partitions[partition]?.failure {
            throw WorkerError(message: "partition \(partition) could not be rebuilt: \(failure)")
        }
        let shard = try Shard(path: path, partition: partition, programme: programme)
        defer { shard.close() }
        return Result(path: path, nextOffset: try shard.nextOffset(), digest: try shard.digest(), positions: try shard.positions())
    }

    /// The first cycle, in cycle order, whose sealed digest differs (digests are chained:
    /// every later one differs too); nil when every cycle either file sealed is equal.
    public static func firstDifference(live: [CyclePosition], rebuilt: [CyclePosition]) -> CycleDifference? {
        let liveDigests = Dictionary(live.map { ($0.cycle, $0.ledgerDigest) }, uniquingKeysWith: { first, _ in first })
        let rebuiltDigests = Dictionary(rebuilt.map { ($0.cycle, $0.ledgerDigest) }, uniquingKeysWith: { first, _ in first })
        for cycle in Set(liveDigests.keys).union(rebuiltDigests.keys).sorted() where liveDigests[cycle] != rebuiltDigests[cycle] {
            return CycleDifference(cycle: cycle, live: liveDigests[cycle], rebuilt: rebuiltDigests[cycle])
        }
        return nil
    }
}
