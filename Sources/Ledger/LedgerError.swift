/// Everything that can go wrong operating a shard file. A broken ledger invariant found
/// when a batch ends or a cycle is sealed is `.invariant`: the batch rolls back and the
/// worker stops the partition. (Debug builds also check after every transaction and stop
/// the process.)
public struct LedgerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// SQLite refused an operation (disk full, I/O error, corruption, locked file).
        case sqlite
        /// The file was created for another partition.
        case wrongPartition
        /// The file's schema is newer than this binary or its bookkeeping is damaged.
        case schema
        /// The batch itself is malformed (offsets not increasing).
        case invalidBatch
        /// Stored values cannot be represented (a record the rules never write).
        case corrupt
        /// The file breaks a ledger invariant (lots ≠ balance, a lot below zero, a debt
        /// missing for a redeemed point): the cycle is not sealed; rebuild from the log.
        case invariant
        /// A programme version published into the log cannot be used by this binary (its
        /// hash, its file, or a change a version may not make), or the worker's programme
        /// file lengthens the limits the shard has archived under: the partition pauses at it.
        case programmeVersion
    }

    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public var sqliteCode: Int32?

    public init(_ code: Code, _ message: String, sqliteCode: Int32? = nil) {
        (self.code, self.message, self.sqliteCode) = (code, message, sqliteCode)
    }

    public var description: String {
        "ledger \(code.rawValue)\(sqliteCode.map { " (SQLite \($0))" } ?? ""): \(message)"
    }
}
