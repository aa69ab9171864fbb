import CSQLite

/// A prepared statement. Bind with 1-based indexes, read columns 0-based.
package final class Statement<Failure: SQLiteFailure> {
    private var raw: OpaquePointer?
    private unowned let database: Database<Failure>

    package init(_ raw: OpaquePointer, database: Database<Failure>) {
        self.raw = raw
        self.database = database
    }

    private var statement: OpaquePointer {
        guard let raw else { preconditionFailure("statement used after finalize") }
        return raw
    }

    package func finalize() {
        if let raw { sqlite3_finalize(raw) }
        raw = nil
    }

    package func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    @discardableResult
    package func bind(_ values: SQLiteValue...) -> Statement {
        for (index, value) in values.enumerated() { bind(Int32(index + 1), value) }
        return self
    }

    package func bind(_ index: Int32, _ value: SQLiteValue) {
        switch value {
        case .integer(let v): sqlite3_bind_int64(statement, index, v)
        case .text(let v): bindText(index, v)
        case .null: sqlite3_bind_null(statement, index)
        }
    }

    /// Binds without building a C string: the UTF-8 bytes with their length (SQLite copies).
    package func bindText(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { bytes in
            // A non-nil pointer even for "": a NULL pointer would bind SQL NULL.
            let base = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(emptyText.utf8Start)
            _ = sqlite3_bind_text(statement, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), transientText)
        }
    }

    package func bindInteger(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }

    package func bindNull(_ index: Int32) { sqlite3_bind_null(statement, index) }

    /// true: a row is available; false: done.
    package func step() throws(Failure) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let sql = String(cString: sqlite3_sql(statement))
            throw database.error(rc, "running \(sql.prefix(80))")
        }
    }

    /// Runs a statement that returns no rows, then resets it. Its bindings stay: every
    /// caller binds all parameters before the next run, and `prepare` clears them anyway.
    package func run() throws(Failure) {
        defer { sqlite3_reset(statement) }
        while try step() {}
    }

    package var columnCount: Int32 { sqlite3_column_count(statement) }

    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    package func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: pointer)
    }

    package func optionalText(_ column: Int32) -> String? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : text(column)
    }

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    /// The column as a value, for canonical dumps.
    package func value(_ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(int64(column))
        case SQLITE_NULL: return .null
        default: return .text(text(column))
        }
    }
}

/// SQLite must copy Swift strings: their buffers only live for the call.
private let transientText = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
private let emptyText: StaticString = ""

package enum SQLiteValue: Equatable {
    case integer(Int64)
    case text(String)
    case null
}

extension SQLiteValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    package init(integerLiteral value: Int64) { self = .integer(value) }
    package init(stringLiteral value: String) { self = .text(value) }
}
