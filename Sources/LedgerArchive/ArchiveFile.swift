import Basics
import CZlib
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An archive file: "LOYARCZ1", the canonical content's length (u64, big-endian), then
/// that content compressed by zlib at `level`. Written durably before the rows it holds
/// leave the hot tables; read back by `ledger history` and the tests.
public enum ArchiveFile {
    static let magic = Array("LOYARCZ1".utf8)
    /// zlib's fastest level: the file is written inside a barrier. Measured on the archives
    /// of `bench history`: level 6 took 3× as long (13.0 vs 4.2 ms for 0.5 MB of content)
    /// for files 23 % smaller (docs/big-shards.md).
    /// Files of either level read the same; the digest covers the content, not the bytes.
    static let level: Int32 = 1

    /// A file's bytes and the hashes recorded for it.
    public struct Encoded: Sendable {
        public var bytes: [UInt8]
        /// SHA-256 (hex) of the canonical content: what the cycle's digest folds in.
        public var contentSHA256: String
        /// SHA-256 (hex) of the file's bytes: what `ledger verify` checks on disk.
        public var fileSHA256: String
    }

    public static func encode(_ content: ArchiveContent) -> Encoded {
        let canonical = ArchiveCodec.encode(content)
        var bound = compressBound(uLong(canonical.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        let rc = compressed.withUnsafeMutableBufferPointer { out in
            canonical.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &bound, input.baseAddress, uLong(input.count), level)
            }
        }
        precondition(rc == Z_OK, "zlib compress2 failed (\(rc)) with a buffer of compressBound bytes")
        var bytes = magic
        ArchiveCodec.put64(&bytes, UInt64(canonical.count))
        bytes += compressed[..<Int(bound)]
        return Encoded(bytes: bytes, contentSHA256: hex(SHA256.hash(data: canonical)), fileSHA256: hex(SHA256.hash(data: bytes)))
    }

    /// Reads and decodes the archive at `path`, checking its SHA-256 when given.
    public static func read(_ path: String, expectedSHA256: String? = nil) throws(ArchiveError) -> ArchiveContent {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArchiveError(path: path, reason: "cannot be read (missing? the archive directory is part of the ledger)")
        }
        let bytes = [UInt8](data)
        if let expectedSHA256, hex(SHA256.hash(data: bytes)) != expectedSHA256 {
            throw ArchiveError(path: path, reason: "SHA-256 differs from the one recorded in the shard file (damaged or replaced)")
        }
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw ArchiveError(path: path, reason: "not an archive file (bad magic)") }
        let length = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= largestInflation(of: bytes.count - 16) else {
            throw ArchiveError(path: path, reason: "content length \(length) is implausible for \(bytes.count - 16) compressed bytes")
        }
        var outLength = uLong(length)
        var canonical = [UInt8](repeating: 0, count: Int(length))
        let rc = canonical.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &outLength, input.baseAddress! + 16, uLong(input.count - 16))
            }
        }
        guard rc == Z_OK, outLength == uLong(length) else { throw ArchiveError(path: path, reason: "does not decompress (zlib \(rc))") }
        return try ArchiveCodec.decode(canonical, path: path)
    }

    /// Writes `bytes` as `directory/name` so that a crash leaves the old file or the whole
    /// new one: a temporary name, fsync, rename, fsync of the directory (created first,
    /// with its parents, when missing).
    public static func writeDurably(_ bytes: [UInt8], name: String, directory: String) throws(ArchiveError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ArchiveError(path: directory, reason: "cannot create the archive directory: \(error.localizedDescription)")
        }
        do {
            try SyncedFile.replace(bytes, name: name, directory: directory)
        } catch {
            throw ArchiveError(path: error.path, reason: "\(error.operation) failed: \(error.reason)")
        }
    }

    /// The most `compressed` bytes of zlib can inflate to (its deflate reaches 1032:1 at
    /// best): a header claiming more is damaged, and is refused before anything that size
    /// is allocated. Until 2026-12-04 a damaged length up to 16 GiB was allocated first.
    static func largestInflation(of compressed: Int) -> UInt64 { UInt64(max(compressed, 0)) * 1_032 + 64 }

    static func hex(_ digest: SHA256.Digest) -> String { hexString(digest) }
}
