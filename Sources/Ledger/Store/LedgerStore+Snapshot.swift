import SQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Consistent copies of a shard file, taken on their own read-only connection (never the
/// writer's), and what such a copy covers, read from the copy itself.
extension LedgerStore {
    /// Copies the shard file at `source` to `destination` (which must not exist) and reads
    /// the offset and sealed cycle the copy covers. The copy is removed if anything fails.
    static func copy(source: String, partition: Int32, to destination: String) throws(LedgerError) -> ShardSnapshot {
        let bytes = try SQLiteDatabase.copy(from: source, to: destination)
        do throws(LedgerError) {
            let covered = try coverage(of: destination)
            guard covered.partition == partition else {
                throw LedgerError(
                    .wrongPartition,
                    "shard file \(source) belongs to partition \(covered.partition), not \(partition); check the data directory mapping")
            }
            return ShardSnapshot(
                partition: partition, nextOffset: covered.nextOffset, lastSealedCycle: covered.lastSealedCycle, bytes: bytes, path: destination)
        } catch {
            unlink(destination)
            throw error
        }
    }

    /// The shard row of a copy: partition, next offset, last sealed cycle. The copy is a
    /// rollback-journal file (`Database.copy`), so reading it leaves no WAL beside it.
    static func coverage(of path: String) throws(LedgerError) -> (partition: Int32, nextOffset: Int64, lastSealedCycle: Int64) {
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        let statement = try db.prepare("SELECT partition, next_offset, last_sealed_cycle FROM shard WHERE id = 1")
        defer { statement.reset() }
        guard try statement.step() else {
            throw LedgerError(.schema, "\(path) has no shard record; it is not a complete shard copy")
        }
        return (Int32(truncatingIfNeeded: statement.int64(0)), statement.int64(1), statement.int64(2))
    }
}
