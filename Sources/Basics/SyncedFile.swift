import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A system call on a file that failed: which, on what, and `errno` as it was then. Each
/// module turns it into its own error with its own advice (`ClearingError`,
/// `SnapshotStoreError`, `ArchiveError`).
public struct FileSystemFailure: Error, Sendable {
    public let operation: String
    public let path: String
    public let systemErrno: Int32

    /// Captures `errno` now: call it right after the failing call.
    public init(_ operation: String, _ path: String) {
        self.operation = operation
        self.path = path
        systemErrno = errno
    }

    /// `strerror` of the captured errno.
    public var reason: String { String(cString: strerror(systemErrno)) }
}

/// Crash-safe files, the one implementation behind settlement files, ledger archives and
/// snapshots: write a temporary file, fsync it, rename it over the target, fsync the
/// directory. A reader sees the old file or the new one, never a torn one.
public enum SyncedFile {
    /// Writes `bytes` into a temporary `.<name>.partial` beside `name` in `directory`,
    /// fsyncs it, renames it over `name` and fsyncs the directory.
    public static func replace(
        _ bytes: [UInt8], name: String, directory: String, permissions: mode_t = 0o644
    ) throws(FileSystemFailure) {
        let temporary = temporaryPath(name, directory)
        try write(bytes, to: temporary, permissions: permissions)
        try publish(temporary, as: directory + "/" + name)
    }

    /// The hidden temporary name `replace` writes `name` under, beside it.
    public static func temporaryPath(_ name: String, _ directory: String) -> String {
        directory + "/." + name + ".partial"
    }

    /// Writes `bytes` into a new file at `path` (replacing a leftover) and fsyncs it; on
    /// failure the file is removed.
    public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(FileSystemFailure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw FileSystemFailure("open", path) }
        do throws(FileSystemFailure) {
            let failed: FileSystemFailure? = bytes.withUnsafeBytes { buffer in
                do throws(FileSystemFailure) {
                    try writeAll(buffer, to: descriptor, path: path)
                    return nil
                } catch {
                    return error
                }
            }
            if let failed { throw failed }
            guard fsync(descriptor) == 0 else { throw FileSystemFailure("fsync", path) }
            guard close(descriptor) == 0 else { throw FileSystemFailure("close", path) }
        } catch {
            close(descriptor)
            unlink(path)
            throw error
        }
    }

    /// Writes all of `bytes` to `descriptor`, retrying on EINTR and short writes.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws(FileSystemFailure) {
        var written = 0
        while written < bytes.count {
            let result = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw FileSystemFailure("write", path)
            }
            written += result
        }
    }

    /// Renames `temporary` over `target` and fsyncs the target's directory, so the rename
    /// survives a crash. The temporary file is removed if the rename fails.
    public static func publish(_ temporary: String, as target: String) throws(FileSystemFailure) {
        try move(temporary, over: target)
        try syncDirectory((target as NSString).deletingLastPathComponent)
    }

    /// Renames `temporary` over `target` without the directory's fsync (for a caller that
    /// renames many files and then fsyncs their directory once). The temporary file is
    /// removed if the rename fails.
    public static func move(_ temporary: String, over target: String) throws(FileSystemFailure) {
        guard rename(temporary, target) == 0 else {
            let failure = FileSystemFailure("rename", target)
            unlink(temporary)
            throw failure
        }
    }

    public static func syncDirectory(_ directory: String) throws(FileSystemFailure) {
        let path = directory.isEmpty ? "." : directory
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemFailure("open directory", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileSystemFailure("fsync directory", path) }
    }
}
