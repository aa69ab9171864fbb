import SQLite

/// The ledger's SQLite connection and statements: failures are `LedgerError`s.
package typealias SQLiteDatabase = Database<LedgerError>
package typealias SQLiteStatement = Statement<LedgerError>

extension LedgerError: SQLiteFailure {
    package init(_ storage: SQLiteError) {
        switch storage.kind {
        case .sqlite: self.init(.sqlite, storage.message, sqliteCode: storage.resultCode)
        case .newerSchema, .migration: self.init(.schema, storage.message, sqliteCode: storage.resultCode)
        }
    }
}
