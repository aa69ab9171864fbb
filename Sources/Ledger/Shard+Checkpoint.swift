import SQLite

/// Checkpoints of a shard's WAL, taken off the writer's path (LedgerStore+Checkpoint).
extension Shard {
    /// WAL content past which a shard should be checkpointed (`checkpoint(path:)`).
    public static var checkpointBytes: Int64 { LedgerStore.checkpointBytes }

    /// Bytes the shard's WAL holds after this writer's last COMMIT (0 before the first):
    /// read from an atomic SQLite set at that COMMIT, so any thread may ask.
    public var walBytes: Int64 { store.walBytes }

    /// The shard file's path (what `checkpoint(path:)` takes).
    public var path: String { store.db.path }

    /// Size of the WAL file of the shard file at `path` (0 without one): one stat call. The
    /// file is kept at its size when the WAL restarts, so this is what the WAL ever held
    /// (up to `LedgerStore.walSizeLimitBytes`), not what it holds: that is `walBytes`.
    public static func walFileBytes(path: String) -> Int64 { LedgerStore.walFileBytes(path: path) }

    /// PASSIVE checkpoints of the shard file at `path` on a connection of its own, pass
    /// after pass while the writer appends (up to `passes`), so that the WAL can start over
    /// (`LedgerStore.checkpoint(path:passes:afterPass:)`); safe on any thread while the
    /// shard's writer goes on (it neither waits for it nor blocks it). nil when the file is
    /// gone.
    public static func checkpoint(path: String, passes: Int = 8) throws(LedgerError) -> WALCheckpoint? {
        try LedgerStore.checkpoint(path: path, passes: passes)
    }

    /// Checkpoints this writer's backstop took inside its COMMITs
    /// (`LedgerStore.autocheckpointPages`) since the last call (the first: since the shard
    /// was opened): a writer that never pauses takes them whatever the checkpoints beside it
    /// do. The worker's counter and `bench history` read it.
    public func takeCommitCheckpoints() -> Int { store.wal.takeBackstops() }
}
