/// One numbered schema change: its SQL, and whatever else must happen in the same
/// transaction (seed rows).
package struct Migration<Failure: SQLiteFailure> {
    package var sql: String
    package var then: ((Database<Failure>) throws(Failure) -> Void)?

    package init(_ sql: String, then: ((Database<Failure>) throws(Failure) -> Void)? = nil) {
        self.sql = sql
        self.then = then
    }
}

extension Database {
    /// Brings the file to the newest schema, recorded in `PRAGMA user_version` (0: empty
    /// file, n: the first n migrations applied). Each migration runs in its own
    /// transaction, and the version is read again under the write lock (`BEGIN
    /// IMMEDIATE`): two processes opening an old file at once (a stopping worker and its
    /// successor, a tool and a node) must not both run the same migration.
    package func migrate(_ migrations: [Migration<Failure>]) throws(Failure) {
        while true {
            let applied: Bool
            do {
                applied = try inTransaction { () throws(Failure) -> Bool in
                    let current = try userVersion
                    guard current <= Int64(migrations.count) else {
                        throw Failure(
                            SQLiteError(
                                .newerSchema,
                                "\(path) has schema version \(current), newer than this binary's \(migrations.count); run a newer binary"))
                    }
                    let version = Int(current)
                    guard version < migrations.count else { return false }
                    do throws(Failure) {
                        try execute(migrations[version].sql)
                        try migrations[version].then?(self)
                        try execute("PRAGMA user_version = \(version + 1)")
                    } catch {
                        throw Failure(SQLiteError(.migration, "migration \(version + 1) of \(path) failed: \(error)"))
                    }
                    return true
                }
            }
            if !applied { return }
        }
    }
}
