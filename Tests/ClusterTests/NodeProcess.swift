import Foundation
import LoyaltyTesting
import Testing

/// A `loyalty` node (or another `executable`) started as a process of its own, its output
/// in `<logs>/<name>.log`.
final class NodeProcess: @unchecked Sendable {  // `process` is only signalled and polled after start
    let name: String
    let process: Process
    let logPath: String

    /// Starts `loyalty <arguments>`; `environment` entries are added to the test's own.
    init(_ name: String, _ arguments: [String], logs: String, environment: [String: String] = [:], executable: String? = nil) throws {
        self.name = name
        logPath = "\(logs)/\(name).log"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw NodeFailure("cannot create \(logPath)") }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        process = Process()
        process.executableURL = URL(fileURLWithPath: try executable ?? loyaltyExecutable())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try log.close()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGKILL, then reaps it: no chance to finish anything.
    func kill() async throws {
        _ = Foundation.kill(pid, SIGKILL)
        try await exited(process, timeoutSeconds: 30)
    }

    /// How a SIGTERM ended: exit status (nil: killed by a signal) and seconds it took.
    struct Stop: CustomStringConvertible {
        let status: Int32?
        let seconds: Double
        var description: String { "exit \(status.map(String.init) ?? "by signal") after \(String(format: "%.2f", seconds)) s" }
    }

    /// SIGTERM and waits up to `graceSeconds` (then SIGKILL, recorded as a failure).
    func stop(graceSeconds: Double) async throws -> Stop {
        let start = ContinuousClock.now
        _ = Foundation.kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(graceSeconds)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let seconds = (ContinuousClock.now - start).seconds
        guard !process.isRunning else {
            Issue.record("\(name) still running \(graceSeconds) s after SIGTERM; killed")
            try await kill()
            return Stop(status: nil, seconds: seconds)
        }
        return Stop(status: process.terminationReason == .exit ? process.terminationStatus : nil, seconds: seconds)
    }

    /// Waits until a line of the log matches `pattern` and returns its first capture group.
    func waitForLog(_ pattern: String, timeoutSeconds: Double = 60) async throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            let text = log
            if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                let range = Range(match.range(at: match.numberOfRanges > 1 ? 1 : 0), in: text)
            {
                return String(text[range])
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NodeFailure("\(name): no log line matching \(pattern) (running: \(process.isRunning)); log:\n\(log.suffix(2_000))")
    }
}

struct NodeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Polls `condition` every `intervalMilliseconds` until it holds; false when time ran out.
func poll(timeoutSeconds: Double, intervalMilliseconds: Int = 50, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(intervalMilliseconds))
    }
    return try condition()
}
