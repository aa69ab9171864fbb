import Foundation
import Testing

/// Path of the `loyalty` executable built next to the test bundle.
public func loyaltyExecutable() throws -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("loyalty").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/loyalty"
    try #require(FileManager.default.isExecutableFile(atPath: fallback), "build the loyalty executable first")
    return fallback
}

/// Waits for a child process without blocking a thread of the cooperative pool.
public func exited(_ process: Process, timeoutSeconds: Double = 300) async throws {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning {
        guard Date() < deadline else {
            process.terminate()
            throw StillRunning(pid: process.processIdentifier, seconds: Int(timeoutSeconds))
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

public struct StillRunning: Error, CustomStringConvertible {
    public let pid: Int32
    public let seconds: Int
    public var description: String { "process \(pid) still running after \(seconds) s" }
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
