import CZlib
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The members an archive file's journal rows belong to, in a small file beside it
/// (`cycle-….archive.members`), so that `loyalty ledger history` opens only the archives
/// that hold the member instead of decoding every one (docs/operations.md, "Archives").
///
/// An index, not ledger data: derived from the archive, bound to it by the archive file's
/// SHA-256 (the one the shard recorded), and written without fsync. A missing, damaged or
/// stale one (another archive's hash) answers nothing, and the archive is read instead; a
/// false "may hold" only costs that read. It never says "does not hold" for a member whose
/// rows are in the archive: every id is written whole between two separators.
///
/// Layout: "LOYMEMB1"; the archive file's SHA-256 as 64 hex bytes; the list's length (u64,
/// big-endian); then the distinct member ids, sorted, each followed by "\n", compressed by
/// zlib.
public enum ArchiveMemberIndex {
    static let magic = Array("LOYMEMB1".utf8)
    static let separator = UInt8(ascii: "\n")

    /// Where the index of the archive at `archivePath` lives.
    public static func path(ofArchive archivePath: String) -> String { archivePath + ".members" }

    public static func encode(members: some Sequence<String>, archiveSHA256: String) -> [UInt8] {
        var list: [UInt8] = []
        for member in Set(members).sorted() {
            list += member.utf8
            list.append(separator)
        }
        var bound = compressBound(uLong(list.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        let rc = compressed.withUnsafeMutableBufferPointer { out in
            list.withUnsafeBufferPointer { input in compress2(out.baseAddress, &bound, input.baseAddress, uLong(input.count), 1) }
        }
        precondition(rc == Z_OK, "zlib compress2 failed (\(rc)) with a buffer of compressBound bytes")
        var bytes = magic + Array(archiveSHA256.utf8)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: UInt64(list.count) >> UInt64(shift))) }
        return bytes + compressed[..<Int(bound)]
    }

    /// Writes the index of the archive at `archivePath` (whose file hashes to
    /// `archiveSHA256`), replacing any; false if it cannot be written (nothing depends on
    /// it: the archive is read instead).
    @discardableResult
    public static func write(members: some Sequence<String>, archiveSHA256: String, archivePath: String) -> Bool {
        let bytes = encode(members: members, archiveSHA256: archiveSHA256)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path(ofArchive: archivePath)), options: .atomic)
            return true
        } catch {
            return false
        }
    }

    /// Whether the archive at `archivePath` may hold rows of `member`, by its index: false
    /// only when the index is there, reads and names `archiveSHA256`, and lists no such
    /// member; nil when there is no usable index.
    public static func mayHold(member: String, archivePath: String, archiveSHA256: String) -> Bool? {
        guard let data = FileManager.default.contents(atPath: path(ofArchive: archivePath)) else { return nil }
        return mayHold(member: member, index: [UInt8](data), archiveSHA256: archiveSHA256)
    }

    static func mayHold(member: String, index bytes: [UInt8], archiveSHA256: String) -> Bool? {
        guard let list = list(bytes, archiveSHA256: archiveSHA256) else { return nil }
        // "\n<member>\n" at one of the separators (each id starts after one).
        let needle = [separator] + Array(member.utf8) + [separator]
        guard list.count >= needle.count else { return false }
        return list.withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { pattern in
                for start in 0...(haystack.count - pattern.count) where haystack[start] == separator {
                    if memcmp(haystack.baseAddress! + start, pattern.baseAddress!, pattern.count) == 0 { return true }
                }
                return false
            }
        }
    }

    /// The members the index beside `archivePath` lists, if it is there, reads and names
    /// `archiveSHA256` (`ledger verify` compares them with the archive's journal).
    public static func members(archivePath: String, archiveSHA256: String) -> Set<String>? {
        guard let data = FileManager.default.contents(atPath: path(ofArchive: archivePath)),
            let list = list([UInt8](data), archiveSHA256: archiveSHA256)
        else { return nil }
        return Set(list.split(separator: separator).map { String(decoding: $0, as: UTF8.self) })
    }

    /// The decompressed list with a separator in front, so that every id is found as
    /// "\n<id>\n"; nil for bytes that are not an index of the archive hashing to `archiveSHA256`.
    static func list(_ bytes: [UInt8], archiveSHA256: String) -> [UInt8]? {
        let header = magic.count + 64 + 8
        guard bytes.count >= header, Array(bytes[0..<magic.count]) == magic,
            Array(bytes[magic.count..<(magic.count + 64)]) == Array(archiveSHA256.utf8)
        else { return nil }
        let length = bytes[(magic.count + 64)..<header].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= ArchiveFile.largestInflation(of: bytes.count - header) else { return nil }
        var list = [UInt8](repeating: separator, count: Int(length) + 1)
        var outLength = uLong(length)
        let rc = list.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress! + 1, &outLength, input.baseAddress! + header, uLong(input.count - header))
            }
        }
        guard rc == Z_OK, outLength == uLong(length) else { return nil }
        return list
    }
}
