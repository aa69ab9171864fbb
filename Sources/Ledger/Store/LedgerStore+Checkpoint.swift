import Foundation
import SQLite

/// The WAL's checkpoints, kept out of the writer's COMMITs.
///
/// SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past its bound:
/// that commit copies every page of the WAL into the file and fsyncs both, and the round it
/// belongs to, and every `wait=true` answer behind it, waits (docs/performance.md,
/// "Pay-with-points tail"). So the writer's own bound is only a backstop
/// (`LedgerStore.autocheckpointPages`); the worker checkpoints a shard whose WAL passed
/// `checkpointBytes` on a connection of its own, off the loop thread (`Shard.checkpoint`):
/// a PASSIVE checkpoint neither waits for the writer nor blocks it.
///
/// The WAL file is kept at its size when it restarts after a complete checkpoint, up to
/// `walSizeLimitBytes` (`journal_size_limit`): a COMMIT then writes over pages the file
/// already has instead of growing a file cut back to nothing, which cost the kernel a
/// block and a page of its cache for every page written (docs/big-shards.md, "The WAL kept
/// at its size"). So the file's size no longer tells how much the WAL holds; the writer's
/// `WALWatch` does, from SQLite after each COMMIT.
extension LedgerStore {
    /// The writer's backstop checkpoint, in WAL frames (~64 MiB of 4 KiB pages): twice
    /// `checkpointBytes`, so that it acts only when the worker's checkpoints fall behind (or
    /// for writers without them: `ledger rebuild`, the ledger benchmarks). When a checkpoint
    /// of the worker's is running, the writer's attempt finds it busy and skips.
    ///
    /// A writer that never pauses (a worker catching up a backlog, `bench history`) reaches
    /// it all the same. The WAL starts over only at a COMMIT whose transaction began with
    /// every frame copied, and such a writer begins its next transaction right after each
    /// COMMIT, before a checkpoint beside it can have copied that COMMIT's frames: only its
    /// own checkpoint, inside a COMMIT, lets the WAL start over (401 times in the 720 days of
    /// `bench history`, `Shard.takeCommitCheckpoints`). Raised to 256 MiB (tried 2026-12-03), it
    /// acted 110 times, and the larger WAL made every barrier slower: the last ten's stall
    /// 40 → 55.7 ms median, 103.5 ms max, past the 50 ms target. With `walSizeLimitBytes`
    /// raised to 256 MiB too, the barrier's COMMIT stayed as it is and the late CPU per record
    /// fell by a fifth, but the breakage took 21 ms instead of 13 and one of the last ten
    /// barriers 57 ms (docs/big-shards.md, "Checkpoints in the COMMIT").
    static let autocheckpointPages = 16_384
    /// WAL content past which the worker checkpoints a shard (32 MiB: a batch rewrites the
    /// same hot pages, which a checkpoint then copies once, so not much smaller).
    static let checkpointBytes: Int64 = 32 << 20
    /// `journal_size_limit`: a WAL file larger than this when it restarts is cut back to it
    /// (after a burst: a big batch, checkpoints that fell behind). Four times
    /// `checkpointBytes`: a shard's WAL holds the bound plus a batch or two.
    static let walSizeLimitBytes: Int64 = 128 << 20

    /// The writer's side: the WAL watched after each COMMIT, with its backstop checkpoint,
    /// and the WAL file kept at its size (up to the limit) when it restarts.
    static func configureCheckpoints(_ db: SQLiteDatabase) throws(LedgerError) -> WALWatch {
        try db.execute("PRAGMA journal_size_limit = \(walSizeLimitBytes)")
        let watch = WALWatch(backstopFrames: autocheckpointPages)
        db.watchWAL(watch)
        return watch
    }

    /// Bytes the WAL holds after this writer's last COMMIT: its frames and header, counted
    /// from the WAL's last restart (0 before the first COMMIT).
    var walBytes: Int64 {
        let frames = Int64(wal.frames)
        return frames == 0 ? 0 : 32 + frames * (pageSize + 24)
    }

    /// Size of the WAL file of the shard at `path` (0 without one): what it ever held up to
    /// `walSizeLimitBytes`, not what it holds (`walBytes`).
    static func walFileBytes(path: String) -> Int64 {
        var info = stat()
        guard stat(path + "-wal", &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }

    /// PASSIVE checkpoints of the shard file at `path` on a connection of its own: each
    /// copies what no reader still needs from the WAL into the file, without waiting for the
    /// writer or blocking it. Nothing happens (nil) when the file is gone.
    ///
    /// A pass copies the frames the WAL held when it started; the writer's COMMITs during it
    /// leave the WAL incomplete, and only a complete WAL starts over at the writer's next
    /// BEGIN. So another pass follows while the one before found more frames than the one
    /// before it, at most `passes` (each copies less: what was appended meanwhile); it ends
    /// when a pass was busy (another checkpoint), held back by a reader, or found nothing
    /// new. The last pass is returned; `afterPass` sees each (tests write between them).
    static func checkpoint(
        path: String, passes: Int = 8, afterPass: (WALCheckpoint) -> Void = { _ in }
    ) throws(LedgerError) -> WALCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        let statement = try db.prepare("PRAGMA wal_checkpoint(PASSIVE)")
        var last: WALCheckpoint?
        for taken in 1...max(1, passes) {
            guard try statement.step() else { break }
            let pass = WALCheckpoint(
                busy: statement.int64(0) != 0, walFrames: Int(statement.int64(1)), checkpointedFrames: Int(statement.int64(2)),
                passes: taken)
            statement.reset()
            let appended = last.map { pass.walFrames != $0.walFrames } ?? true
            last = pass
            afterPass(pass)
            if pass.busy || pass.checkpointedFrames < pass.walFrames || !appended { break }
        }
        return last
    }
}

/// What a checkpoint found and did.
public struct WALCheckpoint: Sendable, Equatable {
    /// Another checkpoint was running (this one did nothing).
    public var busy: Bool
    /// Frames in the WAL.
    public var walFrames: Int
    /// Frames of those now in the database file.
    public var checkpointedFrames: Int
    /// Passes taken (`LedgerStore.checkpoint(path:passes:)`), this one included.
    public var passes = 1
}
