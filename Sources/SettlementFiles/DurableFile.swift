import Basics
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
        try clearingError { () throws(FileSystemFailure) in
            try SyncedFile.replace(bytes, name: name, directory: directory, permissions: permissions)
        }
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
                    let temporary = SyncedFile.temporaryPath(others[index].name, directory)
                    do throws(ClearingError) {
                        try clearingError { () throws(FileSystemFailure) in
                            try SyncedFile.write(others[index].bytes, to: temporary)
                            try SyncedFile.move(temporary, over: directory + "/" + others[index].name)
                        }
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

    static func syncDirectory(_ directory: String) throws(ClearingError) {
        try clearingError { () throws(FileSystemFailure) in try SyncedFile.syncDirectory(directory) }
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

    /// Runs `body`, a file-system failure told as a `ClearingError` with its advice.
    private static func clearingError(_ body: () throws(FileSystemFailure) -> Void) throws(ClearingError) {
        do {
            try body()
        } catch {
            throw ClearingError(
                .fileSystem, "\(error.operation) failed: \(error.reason); check the path exists, is writable and the disk has space",
                file: error.path, systemErrno: error.systemErrno)
        }
    }
}
