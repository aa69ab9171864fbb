/// The canonical encoding of `ArchiveContent`: the same rows give the same bytes, so the
/// same SHA-256 on every machine and every rebuild (the digest folds in this hash, not the
/// compressed file's, which could differ between zlib versions).
///
/// Layout, big-endian: magic "LOYARCH1"; table count (u32); per table: name, column
/// count (u32), column names, row count (u64), then each row's values, each a tag byte
/// (0 NULL, 1 integer: 8 bytes, 2 text: u32 length + UTF-8). Strings are u32 length + UTF-8.
public enum ArchiveCodec {
    static let magic = Array("LOYARCH1".utf8)

    public static func encode(_ content: ArchiveContent) -> [UInt8] {
        var out = magic
        out.reserveCapacity(1 << 16)
        put32(&out, UInt32(content.tables.count))
        for table in content.tables {
            putText(&out, table.name)
            put32(&out, UInt32(table.columns.count))
            for column in table.columns { putText(&out, column) }
            put64(&out, UInt64(table.rows.count))
            for row in table.rows {
                precondition(
                    row.count == table.columns.count, "archive row of \(table.name) has \(row.count) values for \(table.columns.count) columns")
                for value in row {
                    switch value {
                    case .null: out.append(0)
                    case .integer(let v):
                        out.append(1)
                        put64(&out, UInt64(bitPattern: v))
                    case .text(let text):
                        out.append(2)
                        putText(&out, text)
                    }
                }
            }
        }
        return out
    }

    /// Decodes `encode`'s bytes; `path` names the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(ArchiveError) -> ArchiveContent {
        var reader = Reader(bytes: bytes, path: path)
        guard Array(try reader.take(magic.count)) == magic else { throw ArchiveError(path: path, reason: "not an archive (bad magic)") }
        var tables: [ArchiveContent.Table] = []
        for _ in 0..<(try reader.u32()) {
            var table = ArchiveContent.Table(name: try reader.text(), columns: [])
            for _ in 0..<(try reader.u32()) { table.columns.append(try reader.text()) }
            let rowCount = try reader.u64()
            // Each value takes at least one byte: a count beyond the bytes left is damage.
            guard rowCount <= UInt64(bytes.count) else { throw ArchiveError(path: path, reason: "table \(table.name): \(rowCount) rows cannot fit") }
            for _ in 0..<rowCount {
                var row: [ArchiveContent.Value] = []
                row.reserveCapacity(table.columns.count)
                for _ in table.columns {
                    switch try reader.byte() {
                    case 0: row.append(.null)
                    case 1: row.append(.integer(Int64(bitPattern: try reader.u64())))
                    case 2: row.append(.text(try reader.text()))
                    case let tag: throw ArchiveError(path: path, reason: "table \(table.name): unknown value tag \(tag)")
                    }
                }
                table.rows.append(row)
            }
            tables.append(table)
        }
        guard reader.position == bytes.count else {
            throw ArchiveError(path: path, reason: "\(bytes.count - reader.position) bytes after the last table")
        }
        return ArchiveContent(tables: tables)
    }

    private static func put32(_ out: inout [UInt8], _ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    static func put64(_ out: inout [UInt8], _ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    private static func putText(_ out: inout [UInt8], _ text: String) {
        let utf8 = Array(text.utf8)
        put32(&out, UInt32(utf8.count))
        out += utf8
    }

    struct Reader {
        let bytes: [UInt8]
        let path: String
        var position = 0

        mutating func take(_ count: Int) throws(ArchiveError) -> ArraySlice<UInt8> {
            guard count <= bytes.count - position else { throw ArchiveError(path: path, reason: "truncated at byte \(position)") }
            defer { position += count }
            return bytes[position..<position + count]
        }

        mutating func byte() throws(ArchiveError) -> UInt8 {
            guard position < bytes.count else { throw ArchiveError(path: path, reason: "truncated at byte \(position)") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func u64() throws(ArchiveError) -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
        mutating func u32() throws(ArchiveError) -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }

        mutating func text() throws(ArchiveError) -> String {
            let count = Int(try u32())
            return String(decoding: try take(count), as: UTF8.self)
        }
    }
}
