import Foundation
import Ledger
import LoyaltyTesting
import Programme
import SnapshotStore
import Testing
import Worker

/// `loyalty ledger snapshot` and `restore`: a round trip, and clear errors that change nothing.
@Suite("ledger snapshot and restore commands", .timeLimit(.minutes(10)))
struct SnapshotCommandTests {
    @Test func snapshotRestoreAndTheirErrors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/data"
        let store = directory + "/store"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)

        let missing = try await run(["ledger", "snapshot", "--data", data, "--partition", "0", "--to", store])
        #expect(missing.status != 0 && missing.errors.contains("no shard for partition 0 at \(data)/shard-0000.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: store))

        let shard = try Shard(path: WorkerConfiguration.shardPath(dataDirectory: data, partition: 0), partition: 0, programme: .sample)
        let entries = syntheticTransactions(300, members: 20, seed: 9).enumerated().map {
            LedgerEntry(offset: Int64($0.offset), kind: .transaction($0.element))
        }
        _ = try shard.apply(LedgerBatch(entries: entries, nextOffset: 300)) { _ in }
        let digest = try shard.digest()
        shard.close()

        try Data().write(to: URL(fileURLWithPath: directory + "/a-file"))
        let unwritable = try await run(["ledger", "snapshot", "--data", data, "--partition", "0", "--to", directory + "/a-file/store"])
        #expect(unwritable.status != 0 && unwritable.errors.contains("--to \(directory)/a-file/store"))

        let taken = try await run(["ledger", "snapshot", "--data", data, "--partition", "0", "--to", store])
        #expect(taken.status == 0 && taken.output.contains("\"nextOffset\":300"))
        let occupied = try await run(["ledger", "restore", "--data", data, "--partition", "0", "--from", store])
        #expect(occupied.status != 0 && occupied.errors.contains("exists"))

        let target = directory + "/elsewhere"
        let restored = try await run(["ledger", "restore", "--data", target, "--partition", "0", "--from", store])
        #expect(restored.status == 0 && restored.errors.contains("resume partition 0 from offset 300"))
        let copy = try Shard(path: WorkerConfiguration.shardPath(dataDirectory: target, partition: 0), partition: 0, programme: .sample)
        #expect(try copy.digest() == digest)
        copy.close()

        // Damaged data (same size, other bytes): refused, nothing written.
        let manifest = try #require(try DirectorySnapshotStore(root: store).newest(partition: 0))
        let dataPath = store + "/" + manifest.dataKey
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dataPath))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: dataPath))
        let third = directory + "/third"
        let damaged = try await run(["ledger", "restore", "--data", third, "--partition", "0", "--from", store])
        #expect(damaged.status != 0 && damaged.errors.contains("damaged"))
        #expect(!FileManager.default.fileExists(atPath: WorkerConfiguration.shardPath(dataDirectory: third, partition: 0)))
    }

    private func run(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try await exited(process, timeoutSeconds: 60)
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, out, err)
    }
}
