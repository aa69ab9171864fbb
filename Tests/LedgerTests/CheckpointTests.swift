import Foundation
import Programme
import Testing

@testable import Ledger

/// Checkpoints taken on a connection of their own while the shard's writer goes on
/// (LedgerStore+Checkpoint): the ledger is the one built without them, the writer keeps its
/// caches, and the WAL stays bounded.
@Suite(.timeLimit(.minutes(10)))
struct CheckpointTests {
    static let entries = Workload.entries(seed: 23, count: 4000, members: 40)

    @Test func checkpointsBetweenBatchesGiveTheSameLedgerAndABoundedWAL() throws {
        let straight = try Harness()
        try straight.shard.apply(Self.entries, batchSize: 100)
        var straightLargest: Int64 = 0
        let h = try Harness()
        var largest: Int64 = 0
        var taken = 0
        let bound: Int64 = 256 << 10
        for start in stride(from: 0, to: Self.entries.count, by: 100) {
            try h.shard.apply(Array(Self.entries[start..<min(start + 100, Self.entries.count)]), batchSize: 100)
            largest = max(largest, Shard.walBytes(path: h.path))
            straightLargest = max(straightLargest, Shard.walBytes(path: straight.path))
            if Shard.walBytes(path: h.path) >= bound {
                let done = try #require(try Shard.checkpoint(path: h.path))
                #expect(!done.busy)
                #expect(done.walFrames > 0 && done.checkpointedFrames == done.walFrames)
                taken += 1
            }
        }
        #expect(taken >= 3)
        // The WAL starts over (cut back by journal_size_limit) after each complete checkpoint:
        // it never holds much more than the bound plus one batch.
        #expect(largest < bound * 2)
        #expect(straightLargest > bound * 2)  // without the checkpoints it grows past that
        #expect(try h.shard.digest() == straight.shard.digest())
        #expect(try h.shard.totals() == straight.shard.totals())
    }

    @Test func aCheckpointElsewhereKeepsTheWritersCaches() throws {
        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<1000]), batchSize: 250)
        let version = h.shard.store.dataVersion
        let members = h.shard.store.committedMembers.count
        #expect(members > 0)
        _ = try #require(try Shard.checkpoint(path: h.path))
        try h.shard.apply(Array(Self.entries[1000..<1100]), batchSize: 100)
        // Not taken for another writer: the caches were not dropped.
        #expect(h.shard.store.dataVersion == version)
        #expect(h.shard.store.committedMembers.count >= members)
    }

    @Test func noShardFileMeansNoCheckpointAndNoFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).sqlite").path
        #expect(try Shard.checkpoint(path: path) == nil)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(Shard.walBytes(path: path) == 0)
    }
}
