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
/// The WAL file is truncated to `walSizeLimitBytes` when it restarts after a complete
/// checkpoint (`journal_size_limit`), so its size tells how much it holds.
extension LedgerStore {
    /// `wal_autocheckpoint` of the writer (pages of 4 KiB, ~64 MiB, as before): twice
    /// `checkpointBytes`, so that it acts only when the worker's checkpoints fall behind (or
    /// for writers without them: `ledger rebuild`, the ledger benchmarks). When a checkpoint
    /// of the worker's is running, the writer's attempt finds it busy and skips.
    static let autocheckpointPages = 16_384
    /// WAL size past which the worker checkpoints a shard (32 MiB: a batch rewrites the same
    /// hot pages, which a checkpoint then copies once, so not much smaller).
    static let checkpointBytes: Int64 = 32 << 20
    /// `journal_size_limit`: the WAL file is cut back to this when it restarts.
    static let walSizeLimitBytes: Int64 = 0

    /// The writer's side: its backstop bound, and the WAL cut back when it restarts.
    static func configureCheckpoints(_ db: SQLiteDatabase) throws(LedgerError) {
        try db.execute("PRAGMA wal_autocheckpoint = \(autocheckpointPages)")
        try db.execute("PRAGMA journal_size_limit = \(walSizeLimitBytes)")
    }

    /// Bytes in the WAL file of the shard at `path` (0 without one).
    static func walBytes(path: String) -> Int64 {
        var info = stat()
        guard stat(path + "-wal", &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }

    /// A PASSIVE checkpoint of the shard file at `path` on a connection of its own: copies
    /// what no reader still needs from the WAL into the file, without waiting for the writer
    /// or blocking it. Nothing happens (nil) when the file is gone.
    static func checkpoint(path: String) throws(LedgerError) -> WALCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        let statement = try db.prepare("PRAGMA wal_checkpoint(PASSIVE)")
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return WALCheckpoint(
            busy: statement.int64(0) != 0, walFrames: Int(statement.int64(1)), checkpointedFrames: Int(statement.int64(2)))
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
}
