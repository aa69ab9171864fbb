import Basics
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files written crash-safely and read in bounded chunks: write a temporary file, fsync it,
/// rename it over the target, fsync the directory (Basics' `SyncedFile`).
/// The reader of a renamed file sees all of it or the old state, never a torn one.
package enum LocalFiles {
    /// Bytes read or written per system call: memory stays bounded for any snapshot size.
    static let chunkBytes = 1 << 20

    /// Copies `source` into a new file `destination` (replacing a leftover), fsyncs it,
    /// and returns the SHA-256 (hex) and size of what was written.
    static func copySynced(from source: String, to destination: String) throws(SnapshotStoreError) -> (sha256: String, bytes: Int64) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("open", source) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw failure("open", destination) }
        do throws(SnapshotStoreError) {
            let result = try stream(input, source) { (chunk) throws(SnapshotStoreError) in
                try storeError { () throws(FileSystemFailure) in try SyncedFile.writeAll(chunk, to: output, path: destination) }
            }
            guard fsync(output) == 0 else { throw failure("fsync", destination) }
            guard close(output) == 0 else { throw failure("close", destination) }
            return result
        } catch {
            close(output)
            unlink(destination)
            throw error
        }
    }

    /// SHA-256 (hex) and size of the file at `path`.
    package static func digest(of path: String) throws(SnapshotStoreError) -> (sha256: String, bytes: Int64) {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("open", path) }
        defer { close(input) }
        return try stream(input, path) { _ in }
    }

    /// Reads `descriptor` to its end in chunks, hashing each and handing it to `body`.
    private static func stream(
        _ descriptor: Int32, _ path: String, _ body: (UnsafeRawBufferPointer) throws(SnapshotStoreError) -> Void
    ) throws(SnapshotStoreError) -> (sha256: String, bytes: Int64) {
        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress!, chunkBytes)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            hasher.update(bufferPointer: chunk)
            try body(chunk)
            total += Int64(count)
        }
        return (hexString(hasher.finalize()), total)
    }

    /// Writes `bytes` into a new file `destination` (replacing a leftover) and fsyncs it.
    static func writeSynced(_ bytes: [UInt8], to destination: String) throws(SnapshotStoreError) {
        try storeError { () throws(FileSystemFailure) in try SyncedFile.write(bytes, to: destination) }
    }

    /// Renames `temporary` over `target` and fsyncs the directory, so the rename survives
    /// a crash. The temporary file is removed if the rename fails.
    static func publish(_ temporary: String, as target: String) throws(SnapshotStoreError) {
        try storeError { () throws(FileSystemFailure) in try SyncedFile.publish(temporary, as: target) }
    }

    static func makeDirectory(_ directory: String) throws(SnapshotStoreError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SnapshotStoreError(.io, "cannot create the directory \(directory): \(error); check the mount and its permissions")
        }
    }

    static func failure(_ operation: String, _ path: String) -> SnapshotStoreError {
        storeError(FileSystemFailure(operation, path))
    }

    static func storeError(_ failure: FileSystemFailure) -> SnapshotStoreError {
        SnapshotStoreError(
            .io, "\(failure.operation) of \(failure.path) failed: \(failure.reason); check the path exists, is writable and the disk has space",
            systemErrno: failure.systemErrno)
    }

    /// Runs `body`, a file-system failure told as a `SnapshotStoreError`.
    static func storeError(_ body: () throws(FileSystemFailure) -> Void) throws(SnapshotStoreError) {
        do {
            try body()
        } catch {
            throw storeError(error)
        }
    }
}
