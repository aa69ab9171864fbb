/// What went wrong in SQLite, before a module wraps it in its own typed error.
package struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// SQLite refused an operation (disk full, I/O error, corruption, locked file).
        case sqlite
        /// The file's schema is newer than this binary knows.
        case newerSchema
        /// A migration failed; the file stays at the version before it.
        case migration
    }

    package var kind: Kind
    /// What happened, naming the file, and what to do about it.
    package var message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    package var resultCode: Int32?

    package init(_ kind: Kind, _ message: String, resultCode: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.resultCode = resultCode
    }

    package var description: String {
        if let resultCode { return "\(message) (SQLite \(resultCode))" }
        return message
    }
}

/// A module's own error, able to carry a storage failure: `Database<LedgerError>` throws
/// `LedgerError`, `Database<ClearingNodeError>` throws `ClearingNodeError`.
package protocol SQLiteFailure: Error {
    init(_ storage: SQLiteError)
}
