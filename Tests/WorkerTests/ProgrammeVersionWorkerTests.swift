import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import LoyaltyWire
import NodeRuntime
import Programme
import SwiftProtobuf
import Testing
import Worker

/// Programme versions through the log with real workers on the mock cluster
/// (docs/programme.md, "Programme versions"): the test — a version published
/// mid-stream, a worker stopped and another resuming, every shard rebuilt from the log
/// gives the live digest — and a partition paused on a version its worker cannot load
/// while the others go on.
@Suite("Programme versions through the log", .timeLimit(.minutes(10)))
struct ProgrammeVersionWorkerTests {
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01
    static let day: Int64 = 86_400_000

    /// The sample with the hotel at 12 % instead of 6 % and grocery at 4 % instead of 1 %.
    static let v2JSON = Programme.sampleJSON
        .replacingOccurrences(of: "\"version\": \"2026-11-01\"", with: "\"version\": \"2026-12-01\"")
        .replacingOccurrences(of: "\"earn_bp\": { \"default\": 600, \"categories\": {} }", with: "\"earn_bp\": { \"default\": 1200 }")
        .replacingOccurrences(
            of: "\"earn_bp\": { \"default\": 100, \"categories\": { \"organic\": 200 } }",
            with: "\"earn_bp\": { \"default\": 400, \"categories\": { \"organic\": 200 } }")

    static func hotel(_ id: String, member: String, at time: Int64) -> Transaction {
        Transaction(
            partnerId: "hotel", partnerTxnId: id, memberId: member, eventTimeMilliseconds: time,
            body: .accrual(amountMinor: 10_000, currency: "EUR", category: ""))
    }

    /// `value` once into every partition (as `loyalty programme publish` and the clearing
    /// node's barriers do); the offset it got in each.
    static func everyPartition(_ test: TestCluster, _ value: [UInt8]) throws -> [Int32: Int64] {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: test.bootstrap), logger: test.logger)
        defer { producer.shutdown() }
        let records = (0..<test.partitions).map { ProducerRecord(topic: test.topics.transactions, partition: $0, key: nil, value: value) }
        let written = try producer.sendAllBlocking(records, timeoutMilliseconds: 60_000)
        return Dictionary(uniqueKeysWithValues: written.map { ($0.partition, $0.offset) })
    }

    static func merged(_ a: [Int32: Int64], _ b: [Int32: Int64]) -> [Int32: Int64] {
        a.merging(b) { max($0, $1) }
    }

    @Test("a version published mid-stream: a stopped worker's successor and a rebuild from the log give the live digest")
    func publishMidStreamStopAndRebuild() async throws {
        let test = try TestCluster(partitions: 2, label: "programme-versions")
        let data = test.dataDirectory("live")
        // Workers are started with the v1 file; v2 arrives only through the log.
        let first = WorkerPool(count: 1, bootstrapServers: test.bootstrap, dataDirectory: data, programme: .sample, logger: test.logger)
        var ends = try test.produce(syntheticTransactions(1_500, members: 300, seed: 14))
        ends = Self.merged(ends, try test.produce([Self.hotel("before", member: "vm-1", at: Self.t0)]))
        try await first.waitUntilApplied(ends, timeoutSeconds: 240)
        let release = try ProgrammeRelease(file: Array(Self.v2JSON.utf8), publishedAtMilliseconds: Self.t0)
        let releaseOffsets = try Self.everyPartition(test, try Loyalty_V1_TransactionEnvelope.programme(release).serializedBytes())
        ends = Self.merged(ends, try test.produce(syntheticTransactions(800, members: 300, seed: 15)))
        try await first.waitUntilApplied(ends, timeoutSeconds: 240)
        // The worker stops; its successor (given the v1 file too) resumes with v2 from the shard.
        try await first.stop()
        let second = WorkerPool(count: 1, bootstrapServers: test.bootstrap, dataDirectory: data, programme: .sample, logger: test.logger)
        ends = Self.merged(ends, try test.produce([Self.hotel("after", member: "vm-1", at: Self.t0 + Self.day)]))
        ends = Self.merged(ends, try test.produce(syntheticTransactions(700, members: 300, seed: 16)))
        let barrier: [UInt8] = try Loyalty_V1_TransactionEnvelope.barrier(cycle: 1, closedAtMilliseconds: Self.t0 + 2 * Self.day)
            .serializedBytes()
        ends = Self.merged(ends, (try Self.everyPartition(test, barrier)).mapValues { $0 + 1 })
        try await second.waitUntilApplied(ends, timeoutSeconds: 240)
        try await second.stop()

        // v1 priced the hotel stay before the release (6 %), v2 the one after (12 %).
        let live = try test.digests(data)
        var checkedMember = false
        for partition in Int32(0)..<test.partitions {
            let path = WorkerConfiguration.shardPath(dataDirectory: data, partition: partition)
            let shard = try Shard(path: path, partition: partition, programme: .sample)
            defer { shard.close() }
            #expect(shard.programme.version == "2026-12-01")
            #expect(try shard.programmeVersion(pricing: releaseOffsets[partition]! + 1).sha256 == release.sha256)
            #expect(try shard.positions().map(\.programmeVersions) == [["2026-11-01", "2026-12-01"]])
            if try shard.member("vm-1").balance > 0 {
                #expect(try shard.member("vm-1").balance == 600 + 1_200)
                checkedMember = true
            }
        }
        #expect(checkedMember)

        // Each shard killed (its file gone) and rebuilt from the log with the v1 file.
        for partition in Int32(0)..<test.partitions {
            let rebuilt = try await ShardRebuilder(bootstrapServers: test.bootstrap, programme: .sample, logger: test.logger)
                .rebuild(partition: partition, upTo: ends[partition]!, into: test.dataDirectory("rebuilt-\(partition)"))
            #expect(rebuilt.nextOffset == ends[partition])
            #expect(rebuilt.digest == live[partition]?.digest, "partition \(partition)")
            #expect(rebuilt.positions.map(\.programmeVersions) == [["2026-11-01", "2026-12-01"]])
        }
        // Without the release the same log of transactions gives other ledgers: it priced something.
        let unreleased = try TestCluster(partitions: 2, label: "programme-versions-none")
        var plain = try unreleased.produce(syntheticTransactions(1_500, members: 300, seed: 14))
        plain = Self.merged(plain, try unreleased.produce([Self.hotel("before", member: "vm-1", at: Self.t0)]))
        plain = Self.merged(plain, try unreleased.produce(syntheticTransactions(800, members: 300, seed: 15)))
        let reference = try unreleased.digests(try await unreleased.referenceRun("plain", until: plain))
        #expect(reference[0]?.digest != live[0]?.digest || reference[1]?.digest != live[1]?.digest)
    }

    @Test("a version the worker cannot load pauses its partition at the message; the other partitions go on")
    func unloadableVersionPausesOnePartition() async throws {
        let test = try TestCluster(partitions: 2, label: "programme-pause")
        let data = test.dataDirectory("live")
        var ends = try test.produce(syntheticTransactions(600, members: 100, seed: 3))
        // A key this binary does not know (as from a newer one), with a correct hash: into partition 0 only.
        let json = Self.v2JSON.replacingOccurrences(of: "\"expiry_months\": 24,", with: "\"expiry_months\": 24, \"tier_bonus_bp\": 5,")
        let release = ProgrammeRelease(
            version: "2026-12-01", sha256: ProgrammeRelease.sha256Hex(of: Array(json.utf8)), json: Array(json.utf8),
            publishedAtMilliseconds: Self.t0)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: test.bootstrap), logger: test.logger)
        let written = try producer.sendAllBlocking(
            [
                ProducerRecord(
                    topic: test.topics.transactions, partition: 0, key: nil,
                    value: try Loyalty_V1_TransactionEnvelope.programme(release).serializedBytes())
            ], timeoutMilliseconds: 60_000)
        producer.shutdown()
        let releaseOffset = try #require(written.first?.offset)
        ends = Self.merged(ends, try test.produce(syntheticTransactions(600, members: 100, seed: 4)))

        for attempt in 0..<2 {
            // The second worker (a restart, same binary) pauses at the same place: never skips.
            let pool = WorkerPool(
                count: 1, bootstrapServers: test.bootstrap, dataDirectory: data, programme: .sample, groupId: "pause-\(attempt)",
                logger: test.logger)
            let worker = pool.workers[0]
            let deadline = Date().addingTimeInterval(120)
            var paused: String?
            var readiness = ""
            while Date() < deadline {
                let partitions = worker.progress.snapshot.partitions
                paused = partitions[0]?.failure
                let otherDone = (partitions[1]?.nextOffset ?? 0) >= ends[1]!
                let answer = worker.metrics.readiness(maxLag: 1_000_000)
                readiness = answer.ok ? "" : answer.reason
                if paused != nil, otherDone, readiness.contains("stopped"), worker.metrics.text.contains("stopped_partitions 1") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let reason = try #require(paused, "partition 0 was not paused")
            #expect(reason.contains("paused on a programme version"))
            #expect(reason.contains("partition 0 offset \(releaseOffset)"))
            #expect(reason.contains("\"2026-12-01\""))
            #expect(reason.contains("tier_bonus_bp"))
            #expect((worker.progress.snapshot.partitions[1]?.nextOffset ?? 0) == ends[1]!)
            #expect(readiness.contains("partition 0 stopped: paused on a programme version"), "\(readiness)")
            #expect(worker.metrics.text.contains("loyalty_worker_stopped_partitions 1"))
            try await pool.stop()
            // Nothing at or after the release was applied or committed.
            let shard = try Shard(path: WorkerConfiguration.shardPath(dataDirectory: data, partition: 0), partition: 0, programme: .sample)
            #expect(try shard.nextOffset() <= releaseOffset)
            #expect(shard.programme.version == "2026-11-01")
            shard.close()
        }
    }
}
