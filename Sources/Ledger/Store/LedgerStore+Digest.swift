import Crypto
import SQLite

extension LedgerStore {
    /// SHA-256 (hex) of a canonical dump of every table, rows in primary-key order, values
    /// typed and length-prefixed: two files have equal digests iff they hold equal ledgers.
    func digest() throws(LedgerError) -> String {
        var hasher = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        func flush() {
            buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            buffer.removeAll(keepingCapacity: true)
        }
        func append(_ value: Int64) {
            withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
        }
        func append(_ text: String) {
            let bytes = Array(text.utf8)
            append(Int64(bytes.count))
            buffer.append(contentsOf: bytes)
        }
        for table in Schema.digestTables {
            buffer.append(UInt8(ascii: "T"))
            append(table.name)
            let s = try db.prepareDynamic("SELECT \(table.columns) FROM \(table.name) ORDER BY \(table.orderBy)")
            defer { s.reset() }
            let columns = s.columnCount
            while try s.step() {
                buffer.append(UInt8(ascii: "R"))
                for column in 0..<columns {
                    switch s.value(column) {
                    case .integer(let v):
                        buffer.append(UInt8(ascii: "i"))
                        append(v)
                    case .text(let v):
                        buffer.append(UInt8(ascii: "t"))
                        append(v)
                    case .null:
                        buffer.append(UInt8(ascii: "n"))
                    }
                }
                if buffer.count >= 1 << 16 { flush() }
            }
        }
        flush()
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
