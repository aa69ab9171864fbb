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
            // What each thread was doing, read before the process goes: a hang is rare and
            // seen only on a loaded CI machine, so the failure carries its own evidence.
            let threads = threadStates(process.processIdentifier)
            process.terminate()
            throw StillRunning(pid: process.processIdentifier, seconds: Int(timeoutSeconds), threads: threads)
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

public struct StillRunning: Error, CustomStringConvertible {
    public let pid: Int32
    public let seconds: Int
    /// One line per thread: name, state, kernel wait channel, CPU ticks (user + system).
    public var threads: [String] = []
    public var description: String {
        "process \(pid) still running after \(seconds) s" + (threads.isEmpty ? "" : "; threads: " + threads.joined(separator: "; "))
    }
}

/// Each thread of `pid` as /proc shows it: "name state wchan ticks". Empty where /proc is not.
func threadStates(_ pid: Int32) -> [String] {
    let tasks = "/proc/\(pid)/task"
    guard let ids = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return [] }
    return ids.sorted().compactMap { id in
        func read(_ name: String) -> String {
            ((try? String(contentsOfFile: "\(tasks)/\(id)/\(name)", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // stat: "tid (comm) state ... utime(14) stime(15)"; comm may hold spaces, so split after ")".
        let stat = read("stat")
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
        return "\(read("comm")) \(fields.first.map(String.init) ?? "?") \(read("wchan")) \(ticks)"
    }
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
