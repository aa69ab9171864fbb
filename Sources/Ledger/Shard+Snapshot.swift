/// Snapshots: consistent copies of a live shard file, taken without the shard's writer.
extension Shard {
    /// Copies the shard file of `partition` at `shardPath` into `destination` (a new file)
    /// on a read-only connection of its own, so it can run on any thread while the
    /// partition's writer goes on applying (WAL mode: a reader never blocks the writer).
    /// The copy is the ledger as of one committed batch; the offset and sealed cycle it
    /// covers are read from the copy itself. Throws (leaving no file at `destination`) if
    /// the shard file is missing, belongs to another partition, or the copy cannot be written.
    public static func snapshot(shardPath: String, partition: Int32, to destination: String) throws(LedgerError) -> ShardSnapshot {
        try LedgerStore.copy(source: shardPath, partition: partition, to: destination)
    }
}
