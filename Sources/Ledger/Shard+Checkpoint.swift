/// Checkpoints of a shard's WAL, taken off the writer's path (LedgerStore+Checkpoint).
extension Shard {
    /// WAL size past which a shard should be checkpointed (`checkpoint(path:)`).
    public static var checkpointBytes: Int64 { LedgerStore.checkpointBytes }

    /// Bytes in the WAL of the shard file at `path` (0 without one): one stat call.
    public static func walBytes(path: String) -> Int64 { LedgerStore.walBytes(path: path) }

    /// A PASSIVE checkpoint of the shard file at `path` on a connection of its own; safe
    /// on any thread while the shard's writer goes on (it neither waits for it nor blocks
    /// it). nil when the file is gone.
    public static func checkpoint(path: String) throws(LedgerError) -> WALCheckpoint? {
        try LedgerStore.checkpoint(path: path)
    }
}
