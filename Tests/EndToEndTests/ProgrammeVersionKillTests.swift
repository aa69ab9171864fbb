import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing
import Worker

/// The test with a real kill: a programme version published mid-stream, a worker
/// process SIGKILLed after it switched, a successor finishing the log, and each shard
/// rebuilt from the log equal to the live one (docs/programme.md, "Programme versions").
@Suite("Programme version, worker killed, shard rebuilt", .timeLimit(.minutes(10)))
struct ProgrammeVersionKillTests {
    static let v2JSON = Programme.sampleJSON
        .replacingOccurrences(of: "\"version\": \"2026-11-01\"", with: "\"version\": \"2026-12-01\"")
        .replacingOccurrences(of: "\"earn_bp\": { \"default\": 600, \"categories\": {} }", with: "\"earn_bp\": { \"default\": 1200 }")

    private func spawnWorker(_ test: TestCluster, data: String, exitWhenCaughtUp: Bool) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments =
            [
                "worker", "--programme", sampleProgrammePath, "--bootstrap", test.bootstrap, "--data", data, "--group", "version-kill",
                "--session-timeout-ms", "3000", "--max-batch", "200", "--log-level", "error",
            ] + (exitWhenCaughtUp ? ["--exit-when-caught-up"] : [])
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Each partition's next offset as its shard file stores it (0 without a file).
    private static func nextOffsets(_ data: String, partitions: Int32) -> [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        for partition in 0..<partitions {
            let path = WorkerConfiguration.shardPath(dataDirectory: data, partition: partition)
            guard FileManager.default.fileExists(atPath: path),
                let shard = try? Shard(path: path, partition: partition, programme: .sample)
            else { continue }
            offsets[partition] = (try? shard.nextOffset()) ?? 0
            shard.close()
        }
        return offsets
    }

    @Test("SIGKILL after the switch: the successor and a rebuild from offset 0 agree with the live shards")
    func killAfterSwitchAndRebuild() async throws {
        let test = try TestCluster(partitions: 2, label: "version-kill")
        let data = test.dataDirectory("live")
        var ends = try test.produce(syntheticTransactions(1_000, members: 300, seed: 21))
        let release = try ProgrammeRelease(file: Array(Self.v2JSON.utf8), publishedAtMilliseconds: 1_767_225_600_000)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: test.bootstrap), logger: test.logger)
        let value: [UInt8] = try Loyalty_V1_TransactionEnvelope.programme(release).serializedBytes()
        let written = try producer.sendAllBlocking(
            (0..<test.partitions).map { ProducerRecord(topic: test.topics.transactions, partition: $0, key: nil, value: value) },
            timeoutMilliseconds: 60_000)
        producer.shutdown()
        let releaseOffsets = Dictionary(uniqueKeysWithValues: written.map { ($0.partition, $0.offset) })
        ends = ends.merging(try test.produce(syntheticTransactions(30_000, members: 2_000, seed: 22))) { max($0, $1) }

        // Kill the worker once some partition has gone past its release (mid-stream, as
        // often as the scheduling allows), on a thread of its own (blocking waits).
        let worker = try spawnWorker(test, data: data, exitWhenCaughtUp: false)
        let partitions = test.partitions
        let killedAt: [Int32: Int64] = await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(120)
                var offsets: [Int32: Int64] = [:]
                while Date() < deadline {
                    offsets = Self.nextOffsets(data, partitions: partitions)
                    if offsets.contains(where: { $0.value > releaseOffsets[$0.key]! + 500 }) { break }
                    usleep(5_000)
                }
                kill(worker.processIdentifier, SIGKILL)
                worker.waitUntilExit()
                continuation.resume(returning: Self.nextOffsets(data, partitions: partitions))
            }.start()
        }
        #expect(worker.terminationReason == .uncaughtSignal)
        #expect(killedAt.contains { $0.value > releaseOffsets[$0.key]! }, "killed after a shard switched: \(killedAt)")

        let finisher = try spawnWorker(test, data: data, exitWhenCaughtUp: true)
        try await exited(finisher)
        #expect(finisher.terminationStatus == 0)
        let live = try test.digests(data)
        for partition in 0..<test.partitions {
            #expect(live[partition]?.nextOffset == ends[partition])
            let rebuilt = try await ShardRebuilder(bootstrapServers: test.bootstrap, programme: .sample, logger: test.logger)
                .rebuild(partition: partition, upTo: ends[partition]!, into: test.dataDirectory("rebuilt-\(partition)"))
            #expect(rebuilt.digest == live[partition]?.digest, "partition \(partition)")
            let shard = try Shard(path: rebuilt.path, partition: partition, programme: .sample)
            #expect(try shard.programmeVersion(pricing: releaseOffsets[partition]! + 1).version == "2026-12-01")
            #expect(try shard.programmeVersion(pricing: releaseOffsets[partition]!).version == "2026-11-01")
            shard.close()
        }
    }
}
