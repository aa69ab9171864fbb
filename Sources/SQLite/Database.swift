import CSQLite

/// One connection to an SQLite file (a shard ledger, the clearing node's state). Owned by
/// one thread (not Sendable); statements are prepared once and cached by their SQL text.
/// Every failure is thrown as the owning module's error (`Failure`), naming the file.
package final class Database<Failure: SQLiteFailure> {
    private var handle: OpaquePointer?
    private var statements: [String: Statement<Failure>] = [:]
    /// Hot-path statements keyed by their literal's address: no hashing of SQL text per call.
    private var literalStatements: [UnsafeRawPointer: Statement<Failure>] = [:]
    package let path: String
    /// Kept alive for SQLite's WAL hook, which holds it unretained (`watchWAL`).
    var walWatch: WALWatch?

    /// Opens `path`, creating it unless `readOnly` (a reader beside the file's writer: in
    /// WAL mode it reads the last committed state while the writer goes on).
    package init(path: String, readOnly: Bool = false) throws(Failure) {
        self.path = path
        _ = processConfigured
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw Failure(SQLiteError(.sqlite, "cannot open \(path): \(message); check the path and its permissions", resultCode: rc))
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // Another process holding the file is an operating error worth a short wait, not a crash.
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit { close() }

    package func close() {
        for statement in statements.values { statement.finalize() }
        statements.removeAll()
        literalStatements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    package var connection: OpaquePointer {
        guard let handle else { preconditionFailure("\(path) used after close()") }
        return handle
    }

    package func error(_ rc: Int32, _ doing: String) -> Failure {
        let message = String(cString: sqlite3_errmsg(connection))
        return Failure(SQLiteError(.sqlite, "\(doing) in \(path) failed: \(message)", resultCode: rc))
    }

    /// Runs SQL without results (schema, pragmas, transaction control).
    package func execute(_ sql: String) throws(Failure) {
        let rc = sqlite3_exec(connection, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, "executing \(sql.prefix(60))") }
    }

    /// A cached statement for SQL written in the source, reset and with bindings cleared.
    package func prepare(_ sql: StaticString) throws(Failure) -> Statement<Failure> {
        let key = UnsafeRawPointer(sql.utf8Start)
        if let cached = literalStatements[key] {
            cached.reset()
            return cached
        }
        let statement = try prepareDynamic(sql.description)
        literalStatements[key] = statement
        return statement
    }

    /// Bytes of this connection's page cache (`SQLITE_DBSTATUS_CACHE_USED`), for the
    /// benchmarks' breakdown of the heap.
    package var pageCacheBytes: Int64 {
        var (current, highest): (Int32, Int32) = (0, 0)
        sqlite3_db_status(connection, SQLITE_DBSTATUS_CACHE_USED, &current, &highest, 0)
        return Int64(current)
    }

    /// Pages this connection has written out of its page cache since it opened
    /// (`SQLITE_DBSTATUS_CACHE_WRITE`): in WAL mode the frames its COMMITs appended, plus
    /// any spilled when the cache filled with dirty pages. What a write costs in I/O,
    /// counted, not timed: the same for the same work on any machine.
    package var pagesWritten: Int64 {
        var (current, highest): (Int32, Int32) = (0, 0)
        sqlite3_db_status(connection, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highest, 0)
        return Int64(UInt32(bitPattern: current))
    }

    /// A cached statement for SQL built at run time, reset and with bindings cleared.
    package func prepareDynamic(_ sql: String) throws(Failure) -> Statement<Failure> {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc, "preparing \(sql.prefix(60))") }
        let statement = Statement(raw, database: self)
        statements[sql] = statement
        return statement
    }

    package var userVersion: Int64 {
        get throws(Failure) {
            let statement = try prepare("PRAGMA user_version")
            defer { statement.reset() }
            guard try statement.step() else { return 0 }
            return statement.int64(0)
        }
    }

    package var changes: Int64 { Int64(sqlite3_changes64(connection)) }

    /// `BEGIN IMMEDIATE` … `COMMIT`; any throw from `body` (or from COMMIT) rolls back.
    /// Inserts `rows` `perStatement` to one INSERT and the remainder one by one.
    /// `many` and `one` are the same INSERT with `perStatement` and one value tuples of
    /// `columns` placeholders; `bind` binds a row at placeholders `base + 1 ... base + columns`.
    /// Fewer, larger statements are what makes a batch's flush cheap (docs/architecture.md).
    package func insertRows<Row>(
        _ rows: [Row], many: String, one: String, perStatement: Int, columns: Int, bind: (Statement<Failure>, Row, Int32) -> Void
    ) throws(Failure) {
        var start = rows.startIndex
        if rows.count >= perStatement {
            let statement = try prepareDynamic(many)
            while rows.endIndex - start >= perStatement {
                for index in 0..<perStatement { bind(statement, rows[start + index], Int32(index * columns)) }
                try statement.run()
                start += perStatement
            }
        }
        guard start < rows.endIndex else { return }
        let statement = try prepareDynamic(one)
        while start < rows.endIndex {
            bind(statement, rows[start], 0)
            try statement.run()
            start += 1
        }
    }

    // MARK: - Transactions: `begin`, `commit`, `rollback`, and `inTransaction` built on them.

    /// `BEGIN IMMEDIATE`: takes the write lock now (waiting up to the busy timeout), so
    /// that what is read inside cannot change before the commit.
    package func begin() throws(Failure) { try execute("BEGIN IMMEDIATE") }

    package func commit() throws(Failure) { try execute("COMMIT") }

    /// Undoes the open transaction, if any (SQLite may have rolled it back already).
    package func rollback() {
        resetAll()
        if isInTransaction { try? execute("ROLLBACK") }
    }

    package var isInTransaction: Bool { sqlite3_get_autocommit(connection) == 0 }

    /// `begin` … `commit`; any throw from `body` (or from COMMIT) rolls back.
    package func inTransaction<T>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        try begin()
        let result: T
        do {
            result = try body()
            try commit()
        } catch {
            rollback()
            throw error
        }
        return result
    }

    /// Releases every statement's read cursor (needed before ROLLBACK and for a clean COMMIT).
    package func resetAll() {
        for statement in statements.values { statement.reset() }
    }
}

/// Process-wide SQLite settings, applied once before the first connection opens.
private let processConfigured: Bool = {
    // Memory statistics cost a global mutex per allocation; nothing here reads them.
    _ = loyalty_sqlite3_disable_memstatus()
    return true
}()
