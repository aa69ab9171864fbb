import Clearing
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Crash-safe file replacement: write `.<name>.partial`, fsync it, rename over `name`,
/// fsync the directory. A reader sees the old file or the new one, never a torn one.
enum DurableFile {
    static func replace(_ bytes: [UInt8], name: String, directory: String, permissions: mode_t = 0o644) throws(ClearingError) {
        let temporary = temporaryPath(name, directory)
        try writeSynced(bytes, to: temporary, permissions: permissions)
        try rename(temporary, to: directory + "/" + name)
        try syncDirectory(directory)
    }

    /// Writers working at once in `replaceAll`. fsync latency, not CPU, bounds a cycle with a
    /// thousand statements; concurrent fsyncs share ext4/xfs journal commits.
    static let maximumConcurrentWriters = 32

    /// Replaces many files so that the last one (the manifest signature) becomes visible
    /// only after all others are durable: each other file is written, fsynced and renamed
    /// by one of several concurrent writers; then the directory is fsynced; then the last
    /// file is written, fsynced and renamed, and the directory fsynced again.
    static func replaceAll(_ files: [SettlementFile], directory: String) throws(ClearingError) {
        guard let last = files.last else { return }
        let others = Array(files.dropLast())
        let failures = FailureSlots()
        let group = DispatchGroup()
        let width = max(1, min(maximumConcurrentWriters, others.count))
        for worker in 0..<width {
            group.enter()
            let thread = Thread {
                var index = worker
                while index < others.count {
                    let temporary = temporaryPath(others[index].name, directory)
                    do throws(ClearingError) {
                        try writeSynced(others[index].bytes, to: temporary, permissions: 0o644)
                        try rename(temporary, to: directory + "/" + others[index].name)
                    } catch {
                        failures.record(error, at: index)
                    }
                    index += width
                }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        if let failure = failures.first { throw failure }
        try syncDirectory(directory)
        try replace(last.bytes, name: last.name, directory: directory)
    }

    private static func temporaryPath(_ name: String, _ directory: String) -> String {
        directory + "/." + name + ".partial"
    }

    private static func rename(_ temporary: String, to target: String) throws(ClearingError) {
        guard Foundation.rename(temporary, target) == 0 else {
            let error = failure("rename", target)
            unlink(temporary)
            throw error
        }
    }

    private static func writeSynced(_ bytes: [UInt8], to temporary: String, permissions: mode_t) throws(ClearingError) {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw failure("open", temporary) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let error = failure("write", temporary)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("fsync", temporary)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard close(descriptor) == 0 else { throw failure("close", temporary) }
    }

    static func syncDirectory(_ directory: String) throws(ClearingError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open directory", directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync directory", directory) }
    }

    /// Creates `directory` (and parents) if missing.
    static func makeDirectory(_ directory: String) throws(ClearingError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ClearingError(
                .fileSystem, "cannot create the settlement directory: \(error); check permissions", file: directory)
        }
    }

    private static func failure(_ operation: String, _ path: String) -> ClearingError {
        let code = errno
        let reason = String(cString: strerror(code))
        return ClearingError(
            .fileSystem, "\(operation) failed: \(reason); check the path exists, is writable and the disk has space",
            file: path, systemErrno: code)
    }
}
