/// Everything that can go wrong operating a shard file. Broken ledger invariants are not
/// errors: they stop the process (precondition), because continuing would spread them.
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
    }

    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public var sqliteCode: Int32?

    public init(_ code: Code, _ message: String, sqliteCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String {
        if let sqliteCode { return "ledger \(code.rawValue) (SQLite \(sqliteCode)): \(message)" }
        return "ledger \(code.rawValue): \(message)"
    }
}
