import Basics
import Foundation
import Ledger
import LoyaltyTesting
import Programme
import SnapshotStore
import Testing
import Worker

/// `loyalty ledger snapshot` killed (SIGKILL) at random moments: the store keeps the
/// previous snapshot, `newest` returns it or a complete new one, and what is restored is
/// always a whole ledger, never part of a copy.
@Suite("Snapshots killed part-way", .timeLimit(.minutes(10)))
struct SnapshotKillTests {
    @Test("a snapshot killed part-way leaves the previous snapshot intact and is never restored", .seeded(11))
    func killedSnapshots() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-kill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let shardPath = WorkerConfiguration.shardPath(dataDirectory: data, partition: 0)
        let transactions = syntheticTransactions(24_000, members: 2_000, seed: 5)
        let shard = try Shard(path: shardPath, partition: 0, programme: .sample)
        defer { shard.close() }
        try apply(transactions[..<2_000], to: shard, from: 0)
        // The previous snapshot's data, put into a fresh store before each round.
        let previousCopy = try Shard.snapshot(shardPath: shardPath, partition: 0, to: directory + "/previous.sqlite")
        let previousDigest = try shard.digest()
        try apply(transactions[2_000...], to: shard, from: 2_000)
        let finalDigest = try shard.digest()
        let finalOffset = try shard.nextOffset()

        // How long a whole snapshot takes here (into another store): kills land within it.
        let started = ContinuousClock.now
        let whole = try snapshotProcess(data: data, store: directory + "/scratch")
        try await exited(whole)
        #expect(whole.terminationStatus == 0)
        let wholeMilliseconds = max(20, Int((ContinuousClock.now - started) / .milliseconds(1)))

        var random = TestSeed.generator()
        var outcomes: [String: Int] = [:]
        for round in 0..<8 {
            let store = try DirectorySnapshotStore(root: directory + "/store-\(round)")
            let previous = try store.putSnapshot(file: previousCopy.path, partition: 0, nextOffset: 2_000, lastSealedCycle: -1)
            let process = try snapshotProcess(data: data, store: store.root)
            if round % 2 == 0 {
                // Part-way for certain, whatever the machine's load: as soon as the upload's
                // temporary file shows up in the store.
                try await waitForPartialFile(under: store.root, whileRunning: process)
            } else {
                try await Task.sleep(for: .milliseconds(Int(random.next() % UInt64(wholeMilliseconds))))
            }
            kill(process.processIdentifier, SIGKILL)
            try await exited(process)

            let newest = try #require(try store.newest(partition: 0))
            #expect(newest == previous || newest.nextOffset == finalOffset, "round \(round): \(newest)")
            let killed = process.terminationReason == .uncaughtSignal
            outcomes[killed ? (newest == previous ? "killed, previous newest" : "killed, new one complete") : "finished", default: 0] += 1
            let restoredPath = directory + "/restored-\(round).sqlite"
            let restored = try #require(try store.restoreNewest(partition: 0, to: restoredPath))
            #expect(restored.restored == newest && restored.skipped.isEmpty)
            let copy = try Shard(path: restoredPath, partition: 0, programme: .sample)
            defer { copy.close() }
            let expected = newest == previous ? previousDigest : finalDigest
            #expect(try copy.digest() == expected, "round \(round)")
            #expect(try copy.nextOffset() == newest.nextOffset)
            // Whatever was killed, the previous snapshot is still whole.
            #expect(try store.snapshots(partition: 0).contains(previous))
        }
        #expect(outcomes["killed, previous newest", default: 0] > 0, "no kill landed before a new snapshot was complete: \(outcomes)")
    }

    private func apply(_ transactions: ArraySlice<Transaction>, to shard: Shard, from offset: Int64) throws {
        var next = offset
        for chunk in stride(from: transactions.startIndex, to: transactions.endIndex, by: 1_000) {
            let entries = transactions[chunk..<min(chunk + 1_000, transactions.endIndex)].map { transaction in
                defer { next += 1 }
                return LedgerEntry(offset: next, kind: .transaction(transaction))
            }
            _ = try shard.apply(LedgerBatch(entries: entries, nextOffset: next)) { _ in }
        }
    }

    /// Returns, with the process stopped (SIGSTOP), once a `.partial-` file exists under
    /// `root`: an upload under way. The process runs in steps of ~1 ms between looks, so
    /// the look never races the rename that ends the upload. Returns with the process
    /// running if it ended first, or after 30 s.
    private func waitForPartialFile(under root: String, whileRunning process: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        let pid = process.processIdentifier
        while process.isRunning, ContinuousClock.now < deadline {
            kill(pid, SIGSTOP)
            let names = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
            if names.contains(where: { $0.contains(".partial-") }) { return }
            kill(pid, SIGCONT)
            usleep(1_000)
        }
    }

    private func snapshotProcess(data: String, store: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments = ["ledger", "snapshot", "--data", data, "--partition", "0", "--to", store]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
