/// The rows one archive file holds, table by table, in a canonical order chosen by the
/// writer (the ledger's store: by primary key). Plain values: no SQL, no files.
public struct ArchiveContent: Sendable, Equatable {
    public var tables: [Table]

    public init(tables: [Table]) { self.tables = tables }

    /// One SQLite value as stored: the ledger's tables hold only integers, text and NULL.
    public enum Value: Sendable, Hashable {
        case null
        case integer(Int64)
        case text(String)

        public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
        public var text: String? { if case .text(let value) = self { value } else { nil } }
    }

    public struct Table: Sendable, Equatable {
        public var name: String
        public var columns: [String]
        public var rows: [[Value]]

        public init(name: String, columns: [String], rows: [[Value]] = []) {
            (self.name, self.columns, self.rows) = (name, columns, rows)
        }

        /// The value of `column` in `row`; nil for a column the table does not have.
        public func value(_ column: String, in row: [Value]) -> Value? {
            columns.firstIndex(of: column).map { row[$0] }
        }

        /// The text of `column` in each row, in row order (nil where it is not text, and
        /// for every row when the table has no such column).
        public func texts(_ column: String) -> [String?] {
            guard let index = columns.firstIndex(of: column) else { return Array(repeating: nil, count: rows.count) }
            return rows.map { $0[index].text }
        }
    }

    public func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    /// Rows per table, by name.
    public var rowCounts: [String: Int] {
        Dictionary(tables.map { ($0.name, $0.rows.count) }, uniquingKeysWith: +)
    }
}

/// An archive that cannot be written or read: names the file and the reason.
public struct ArchiveError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }

    public var description: String { "archive \(path): \(reason)" }
}
