import Clearing
import ClearingNode
import Crypto
import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import LoyaltyWire
import Programme
import SettlementFiles
import SwiftProtobuf
import Testing
import Worker

@Suite("Clearing cycles on the mock cluster", .timeLimit(.minutes(10)))
struct ClearingCycleTests {
    /// A clearing node on `test`'s cluster with a fresh operator key, running.
    private func startNode(_ test: TestCluster) -> (key: Curve25519.Signing.PrivateKey, clearing: ClearingNode, task: Task<Void, Error>) {
        let key = SigningKeyFile.generate()
        let clearing = ClearingNode(
            configuration: ClearingConfiguration(
                bootstrapServers: test.bootstrap, statePath: test.dataDirectory("clearing/state.sqlite"),
                outputDirectory: test.dataDirectory("settlement")
            ),
            programme: .sample, signingKey: key, logger: test.logger
        )
        return (key, clearing, Task { try await clearing.run() })
    }

    private func positions(_ test: TestCluster, cycle: Int64, count: Int) throws -> [Loyalty_V1_ShardPosition] {
        try test.read(test.topics.positions, atLeast: count)
            .map { try Loyalty_V1_ShardPosition(serializedBytes: $0.value) }
            .filter { $0.cycle == cycle }
    }

    /// Every event on the (single-partition) settlements topic, read to its end, so an
    /// event published twice cannot hide.
    private func events(_ test: TestCluster) throws -> [Loyalty_V1_SettlementInstruction] {
        let end = try KafkaAdmin.watermarks(
            topic: test.topics.settlements, partition: 0, bootstrapServers: test.bootstrap, timeoutMilliseconds: 10_000
        ).high
        let records = try test.read(test.topics.settlements, atLeast: Int(end), timeoutSeconds: 20)
        #expect(records.count == Int(end))
        return try records.map { try Loyalty_V1_SettlementInstruction(serializedBytes: $0.value) }
    }

    @Test("two cycles closed while traffic flows: every transaction in exactly one cycle, debts add up to the ledgers")
    func twoCycles() async throws {
        let test = try TestCluster(partitions: 4)
        let (key, clearing, clearingTask) = startNode(test)
        let pool = WorkerPool(
            count: 2, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("shards"), programme: .sample, logger: test.logger)
        let transactions = syntheticTransactions(6_000, members: 800, seed: 3)

        try test.produce(Array(transactions[0..<2_000]))
        clearing.requestClose()
        let closing = Date().addingTimeInterval(180)
        while clearing.cycles.first(where: { $0.cycle == 1 })?.barriersSent != true, Date() < closing {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(clearing.cycles.first { $0.cycle == 1 }?.barriersSent == true, "cycle 1's barriers written")
        // Traffic keeps flowing while the workers are still reaching cycle 1's barriers.
        try test.produce(Array(transactions[2_000..<4_000]))
        try test.produce(Array(transactions[4_000..<6_000]))
        clearing.requestClose()
        let first = try await clearing.waitUntilSettled(1)
        let second = try await clearing.waitUntilSettled(2)
        try await pool.stop()
        clearing.requestStop()
        try await clearingTask.value
        #expect(first.status == .settled && second.status == .settled)

        let shards = try test.digests(test.dataDirectory("shards"))
        let cycle1 = Dictionary(uniqueKeysWithValues: try positions(test, cycle: 1, count: 8).map { ($0.partition, $0) })
        let cycle2 = Dictionary(uniqueKeysWithValues: try positions(test, cycle: 2, count: 8).map { ($0.partition, $0) })
        try #require(cycle1.count == 4 && cycle2.count == 4)
        var ledgerDebts: [String: Int64] = [:]
        var cycleDebts: [String: Int64] = [:]
        for partition in Int32(0)..<4 {
            let one = try #require(cycle1[partition])
            let two = try #require(cycle2[partition])
            let shard = try #require(shards[partition])
            // Contiguous, non-overlapping ranges from offset 0 to the second barrier.
            #expect(one.firstOffset == 0)
            #expect(two.firstOffset == one.barrierOffset + 1)
            #expect(shard.nextOffset == two.barrierOffset + 1, "nothing after the second barrier")
            // Each range holds transactions only, each counted once.
            let counted1 = one.accepted + one.rejected + one.duplicates + one.deadLetters
            let counted2 = two.accepted + two.rejected + two.duplicates + two.deadLetters
            #expect(counted1 == one.barrierOffset - one.firstOffset)
            #expect(counted2 == two.barrierOffset - two.firstOffset)
            let journal = shard.totals.accepted + shard.totals.rejected + shard.totals.duplicates + shard.totals.deadLetters
            #expect(journal == counted1 + counted2)
            for debt in shard.totals.debts { ledgerDebts["\(debt.payer)>\(debt.payee)", default: 0] += debt.amountMinor }
            for debt in one.debts + two.debts { cycleDebts["\(debt.payer)>\(debt.payee)", default: 0] += debt.amountMinor }
        }
        #expect(!ledgerDebts.isEmpty)
        #expect(cycleDebts.filter { $0.value != 0 } == ledgerDebts.filter { $0.value != 0 })
        #expect(cycle1.values.reduce(0) { $0 + $1.accepted } > 0 && cycle2.values.reduce(0) { $0 + $1.accepted } > 0, "traffic landed in both cycles")

        let report = try SettlementVerifier.verify(directory: test.dataDirectory("settlement"), publicKey: key.publicKey)
        #expect(report.cycles == [1, 2])
        let published = try events(test)
        #expect(published.count == (first.instructionCount ?? -1) + (second.instructionCount ?? -1))
        #expect(Set(published.map { "\($0.cycle)/\($0.sequence)" }).count == published.count)
    }

    @Test("a worker held back keeps the cycle CLOSING until it reports: never a partial settlement")
    func heldBack() async throws {
        let test = try TestCluster(partitions: 4)
        let (key, clearing, clearingTask) = startNode(test)
        try test.produce(syntheticTransactions(2_000, members: 400, seed: 5))
        // This worker applies partitions 1-3 and holds partition 0 back.
        let partial = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("shards"), programme: .sample, logger: test.logger
        ) {
            $0.stopOffsets = [1: .max, 2: .max, 3: .max]
        }
        clearing.requestClose()
        let deadline = Date().addingTimeInterval(180)
        while clearing.cycles.first?.positionsReceived != [1, 2, 3], Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .seconds(2))
        let waiting = try #require(clearing.cycles.first)
        #expect(waiting.status == .closing)
        #expect(waiting.waitingFor == [0])
        let files = (try? FileManager.default.contentsOfDirectory(atPath: test.dataDirectory("settlement"))) ?? []
        #expect(files.isEmpty, "no file of a partial settlement")

        try await partial.stop()
        let full = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("shards"), programme: .sample, logger: test.logger)
        let settled = try await clearing.waitUntilSettled(1)
        #expect(settled.positionsReceived == [0, 1, 2, 3])
        try await full.stop()
        clearing.requestStop()
        try await clearingTask.value
        #expect(try SettlementVerifier.verify(directory: test.dataDirectory("settlement"), publicKey: key.publicKey).cycles == [1])
    }

    @Test("the clearing node killed after writing files (and after publishing events) settles the same files, no duplicate events")
    func killedBetweenFilesAndSettled() async throws {
        let test = try TestCluster(partitions: 2)
        let key = SigningKeyFile.generate()
        let keyPath = test.dataDirectory("operator.key")
        try SigningKeyFile.writePrivateKey(key, to: keyPath)
        let state = test.dataDirectory("clearing/state.sqlite")
        let out = test.dataDirectory("settlement")
        let configuration = ClearingConfiguration(bootstrapServers: test.bootstrap, statePath: state, outputDirectory: out)
        let pool = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("shards"), programme: .sample, logger: test.logger)

        func runNode(failpoint: String?) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
            process.arguments =
                [
                    "clearing", "run", "--programme", sampleProgrammePath, "--bootstrap", test.bootstrap, "--state", state, "--out", out, "--key",
                    keyPath, "--log-level", "error",
                ]
                + (failpoint.map { ["--failpoint", $0] } ?? [])
            try process.run()
            return process
        }
        func waitSettled(_ cycle: Int64) async throws -> CycleRecord {
            let deadline = Date().addingTimeInterval(180)
            while Date() < deadline {
                if let record = try ClearingAdmin.cycles(statePath: state).first(where: { $0.cycle == cycle }), record.status == .settled {
                    return record
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw ClearingNodeError("cycle \(cycle) not settled")
        }
        func hashes() throws -> [String: String] {
            var result: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: out) {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(name)"))
                result[name] = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            }
            return result
        }

        var expectedEvents = 0
        for (cycle, failpoint) in [(Int64(1), "after-files"), (Int64(2), "after-events")] {
            try test.produce(syntheticTransactions(1_500, members: 300, seed: UInt64(cycle * 100)))
            _ = try ClearingAdmin.close(configuration: configuration, logger: test.logger)
            let crashing = try runNode(failpoint: failpoint)
            try await exited(crashing)
            #expect(crashing.terminationStatus == 86, "stopped at the failpoint \(failpoint)")
            #expect(try ClearingAdmin.cycles(statePath: state).first { $0.cycle == cycle }?.status != .settled)
            let before = try hashes()
            #expect(before.keys.contains(SettlementFileName.manifest(cycle: cycle)))

            let restarted = try runNode(failpoint: nil)
            let record = try await waitSettled(cycle)
            restarted.terminate()
            try await exited(restarted)
            #expect(try hashes() == before, "the same files, byte for byte")
            expectedEvents += record.instructionCount ?? 0
        }
        try await pool.stop()

        let published = try events(test)
        #expect(published.count == expectedEvents, "no event published twice")
        #expect(Set(published.map { "\($0.cycle)/\($0.sequence)" }).count == expectedEvents)
        #expect(try SettlementVerifier.verify(directory: out, publicKey: key.publicKey).cycles == [1, 2])
    }
}
