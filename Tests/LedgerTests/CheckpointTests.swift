import Foundation
import Programme
import SQLite
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
        var wroteOver = 0
        let bound: Int64 = 256 << 10
        for start in stride(from: 0, to: Self.entries.count, by: 100) {
            try h.shard.apply(Array(Self.entries[start..<min(start + 100, Self.entries.count)]), batchSize: 100)
            largest = max(largest, h.shard.walBytes)
            // The file is kept at its size when the WAL starts over (under
            // journal_size_limit): it holds what the WAL ever held, and COMMITs write over it.
            let file = Shard.walFileBytes(path: h.path)
            #expect(h.shard.walBytes <= file)
            if h.shard.walBytes < file { wroteOver += 1 }
            straightLargest = max(straightLargest, straight.shard.walBytes)
            // Never restarted (no checkpoint reached its backstop): what the writer was told
            // it holds is the file, frame for frame.
            #expect(straight.shard.walBytes == Shard.walFileBytes(path: straight.path))
            if h.shard.walBytes >= bound {
                let done = try #require(try Shard.checkpoint(path: h.path))
                #expect(!done.busy)
                #expect(done.walFrames > 0 && done.checkpointedFrames == done.walFrames)
                taken += 1
            }
        }
        #expect(taken >= 3)
        // The WAL starts over after each complete checkpoint: it never holds much more than
        // the bound plus one batch.
        #expect(largest < bound * 2)
        #expect(straightLargest > bound * 2)  // without the checkpoints it grows past that
        #expect(Shard.walFileBytes(path: h.path) >= largest)
        #expect(wroteOver >= taken)
        #expect(try h.shard.digest() == straight.shard.digest())
        #expect(try h.shard.totals() == straight.shard.totals())
    }

    /// `Shard.pagesWritten` (the bench's pages per record) counts the frames each COMMIT
    /// appends to the WAL, batch by batch.
    @Test func pagesWrittenAreTheFramesEachBatchAppends() throws {
        let h = try Harness()
        var before: (frames: Int64, pages: Int64)?
        for start in stride(from: 0, to: 2000, by: 100) {
            try h.shard.apply(Array(Self.entries[start..<start + 100]), batchSize: 100)
            // No checkpoint here: the WAL only grows (the file's creation wrote a page before it existed).
            let frames = (h.shard.walBytes - 32) / (h.shard.store.pageSize + 24)
            if let before {
                #expect(frames > before.frames)
                #expect(frames - before.frames == h.shard.pagesWritten - before.pages)
            }
            before = (frames, h.shard.pagesWritten)
        }
    }

    /// A checkpoint pass copies the frames the WAL held when it started; a COMMIT of the
    /// writer during it leaves the WAL incomplete, and then it does not start over at the
    /// writer's next BEGIN. The passes that follow copy what was appended, so it does; one
    /// pass alone (as before 2026-12-03) leaves the next COMMIT appending to it.
    @Test(arguments: [1, 8]) func passesAfterTheWriterAppendedLetTheWALStartOver(passes: Int) throws {
        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<1000]), batchSize: 250)
        var batches = 0
        let during = Array(Self.entries[1000..<1200])
        let checkpoint = try LedgerStore.checkpoint(path: h.path, passes: passes) { pass in
            // The writer commits while the checkpoint goes on (between its passes).
            guard pass.passes == 1 else { return }
            do {
                _ = try h.shard.apply(LedgerBatch(entries: during, nextOffset: during.last!.offset + 1)) { _ in }
                batches += 1
            } catch {
                Issue.record("the writer's batch failed: \(error)")
            }
        }
        let done = try #require(checkpoint)
        #expect(batches == 1)
        #expect(!done.busy && done.checkpointedFrames == done.walFrames)
        let (before, pages) = (h.shard.walBytes, h.shard.pagesWritten)
        try h.shard.apply(Array(Self.entries[1200..<1300]), batchSize: 100)
        // What the WAL holds after the next COMMIT, in frames, against what that COMMIT wrote.
        let frames = (h.shard.walBytes - 32) / (h.shard.store.pageSize + 24)
        let written = h.shard.pagesWritten - pages
        #expect(written > 0)
        if passes == 1 {
            // Incomplete: the next COMMIT appended to the WAL.
            #expect(done.passes == 1)
            #expect(h.shard.walBytes > before && frames > written)
        } else {
            // The second pass copied the writer's frames, the third found nothing new: the
            // next COMMIT started the WAL over, which holds its frames alone.
            #expect(done.passes == 3)
            #expect(frames == written)
        }
        #expect(h.shard.takeCommitCheckpoints() == 0)
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

    /// The writer's backstop: a COMMIT that takes the WAL past `backstopFrames` checkpoints
    /// it (as `wal_autocheckpoint`, which the watch replaces), so the WAL starts over.
    @Test func theWatchsBackstopCheckpointsInTheCommitThatPassesIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        try db.execute("PRAGMA journal_mode = WAL")
        let watch = WALWatch(backstopFrames: 8)
        db.watchWAL(watch)
        try db.execute("CREATE TABLE t (x BLOB)")
        var previous = 0
        var restarts = 0
        for _ in 0..<30 {
            try db.execute("INSERT INTO t VALUES (zeroblob(3000))")
            let frames = watch.frames
            #expect(frames > 0)
            if frames < previous { restarts += 1 }
            previous = frames
            #expect(frames < 8 + 6)  // the backstop and one commit's pages at most
        }
        #expect(restarts >= 3)
        // Each restart followed a backstop; the last backstop's restart may be still to come.
        let backstops = watch.takeBackstops()
        #expect(backstops == restarts || backstops == restarts + 1)
        // Taken for a metric's increment: all of them once, then none until the next.
        #expect(watch.takeBackstops() == 0)
    }

    @Test func noShardFileMeansNoCheckpointAndNoFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).sqlite").path
        #expect(try Shard.checkpoint(path: path) == nil)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(Shard.walFileBytes(path: path) == 0)
    }
}
