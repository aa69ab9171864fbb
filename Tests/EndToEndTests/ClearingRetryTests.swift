import Clearing
import ClearingNode
import Crypto
import Foundation
import Kafka
import LoyaltyTesting
import LoyaltyWire
import Programme
import SettlementFiles
import SwiftProtobuf
import Testing
import Worker

@Suite("Retrying a failed clearing cycle", .timeLimit(.minutes(10)))
struct ClearingRetryTests {
    /// Waits until the node reports `cycle` with a status in `statuses`; returns it.
    private func waitFor(_ clearing: ClearingNode, cycle: Int64, in statuses: Set<CycleRecord.Status>) async throws -> CycleRecord {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let record = clearing.cycles.first(where: { $0.cycle == cycle }), statuses.contains(record.status) { return record }
            try await Task.sleep(for: .milliseconds(50))
        }
        let seen = clearing.cycles.first { $0.cycle == cycle }.map { "\($0.status.rawValue) \($0.reason ?? "")" } ?? "not closed"
        throw ClearingNodeError("cycle \(cycle) not \(statuses.map(\.rawValue)) within 120 s: \(seen)")
    }

    @Test("files that cannot be written fail the cycle and those behind it; once repaired, `retry` settles them in order, nothing twice")
    func unwritableFilesThenRetry() async throws {
        let test = try TestCluster(partitions: 2)
        let key = SigningKeyFile.generate()
        let state = test.dataDirectory("clearing/state.sqlite")
        let out = test.dataDirectory("settlement")
        // The settlement directory's path is taken by a file: writing the files fails.
        try FileManager.default.createDirectory(atPath: test.dataDirectory(""), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: out, contents: Data("not a directory".utf8)))

        let clearing = ClearingNode(
            configuration: ClearingConfiguration(bootstrapServers: test.bootstrap, statePath: state, outputDirectory: out),
            programme: .sample, signingKey: key, logger: test.logger)
        let clearingTask = Task { try await clearing.run() }
        let pool = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("shards"), programme: .sample, logger: test.logger)
        let transactions = syntheticTransactions(3_000, members: 300, seed: 21)

        _ = try test.produce(Array(transactions[0..<1_500]))
        clearing.requestClose()
        let first = try await waitFor(clearing, cycle: 1, in: [.failed, .settled])
        #expect(first.status == .failed)
        #expect(first.reason?.hasPrefix("settlement:") == true, "\(first.reason ?? "no reason")")
        _ = try test.produce(Array(transactions[1_500...]))
        clearing.requestClose()
        let second = try await waitFor(clearing, cycle: 2, in: [.failed, .settled])
        #expect(second.status == .failed)
        #expect(second.reason == "cycle 1 failed; cycles settle in order")
        #expect(
            try KafkaAdmin.watermarks(topic: test.topics.settlements, partition: 0, bootstrapServers: test.bootstrap, timeoutMilliseconds: 10_000)
                .high == 0,
            "no instruction event of a failed cycle")

        // Refused: out of order, unknown cycle. Nothing changes.
        #expect(throws: ClearingNodeError.self) { try ClearingAdmin.retry(statePath: state, cycle: 2) }
        #expect(throws: ClearingNodeError.self) { try ClearingAdmin.retry(statePath: state, cycle: 9) }
        #expect(try ClearingAdmin.cycles(statePath: state).map(\.status) == [.failed, .failed])

        // Repaired: the node settles both, in order.
        try FileManager.default.removeItem(atPath: out)
        #expect(try ClearingAdmin.retry(statePath: state, cycle: 1) == [1, 2])
        _ = try await waitFor(clearing, cycle: 2, in: [.settling, .settled, .closing])
        let settled1 = try await clearing.waitUntilSettled(1)
        let settled2 = try await clearing.waitUntilSettled(2)
        #expect(throws: ClearingNodeError.self) { try ClearingAdmin.retry(statePath: state, cycle: 1) }
        try await pool.stop()
        clearing.requestStop()
        try await clearingTask.value

        let report = try SettlementVerifier.verify(directory: out, publicKey: key.publicKey)
        #expect(report.cycles == [1, 2])
        let end = try KafkaAdmin.watermarks(
            topic: test.topics.settlements, partition: 0, bootstrapServers: test.bootstrap, timeoutMilliseconds: 10_000
        ).high
        let events = try test.read(test.topics.settlements, atLeast: Int(end), timeoutSeconds: 20)
            .map { try Loyalty_V1_SettlementInstruction(serializedBytes: $0.value) }
        #expect(events.count == (settled1.instructionCount ?? -1) + (settled2.instructionCount ?? -1))
        #expect(Set(events.map { "\($0.cycle)/\($0.sequence)" }).count == events.count, "no event published twice")
        // Every transaction is in one of the two cycles.
        let positions = try test.read(test.topics.positions, atLeast: 4).map { try Loyalty_V1_ShardPosition(serializedBytes: $0.value) }
        let unique = Dictionary(positions.map { ("\($0.cycle)/\($0.partition)", $0) }) { first, _ in first }
        #expect(unique.count == 4)
        let counted = unique.values.reduce(Int64(0)) { $0 + $1.accepted + $1.rejected + $1.duplicates + $1.deadLetters }
        #expect(counted == Int64(transactions.count))
    }
}
