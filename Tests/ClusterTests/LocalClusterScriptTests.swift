import Foundation
import LoyaltyTesting
import Testing

/// ops/local-cluster.sh as ops use it: start (idempotent), status, stop (idempotent), and
/// bad options refused before anything starts.
@Suite("ops/local-cluster.sh", .timeLimit(.minutes(3)))
struct LocalClusterScriptTests {
    static let script =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ops/local-cluster.sh").path

    /// Runs the script to its end: exit status and what it printed (stdout and stderr).
    /// The output goes to a file, not a pipe: the nodes the script leaves running inherit
    /// the child's descriptors, so a pipe would not reach its end while they run.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "local-cluster-output-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil) else { throw NodeFailure("cannot create \(outputPath)") }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try output.close()
        try await exited(process, timeoutSeconds: 150)
        return (process.terminationStatus, try String(contentsOfFile: outputPath, encoding: .utf8))
    }

    /// Loopback ports for the gateway, the clearing node and two workers (base+1, base+2).
    static func ports() throws -> [String: String] {
        var base = try freeLoopbackPort()
        for _ in 0..<20 where !(isFree(base + 1) && isFree(base + 2)) { base = try freeLoopbackPort() }
        return [
            "GATEWAY_PORT": "\(try freeLoopbackPort())", "CLEARING_METRICS_PORT": "\(try freeLoopbackPort())",
            "WORKER_METRICS_BASE": "\(base)", "LOYALTY_BIN": try loyaltyExecutable(), "PARTITIONS": "4",
        ]
    }

    static func isFree(_ port: Int) -> Bool { bindLoopback(port) != nil }

    @Test("start waits until every node is ready; start again changes nothing; stop twice is fine")
    func startStatusStop() async throws {
        let directory = NSTemporaryDirectory() + "loyalty-local-cluster-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = try Self.ports()
        let dir = ["--dir", directory]
        let started = try await Self.run(["start", "--workers", "2", "--wait", "60"] + dir, environment: environment)
        guard started.status == 0 else {
            _ = try await Self.run(["stop"] + dir, environment: [:])
            Issue.record("start: \(started.output)")
            return
        }
        #expect(started.output.contains("every node is ready"))
        let pids = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/pids").sorted()
        #expect(pids == ["broker.pid", "clearing.pid", "gateway.pid", "worker-1.pid", "worker-2.pid"])

        let status = try await Self.run(["status"] + dir, environment: [:])
        #expect(status.status == 0, "\(status.output)")
        let rows = status.output.split(separator: "\n").dropFirst()
        #expect(rows.count == 5 && rows.allSatisfy { $0.contains(" yes ") }, "\(status.output)")
        #expect(rows.filter { $0.hasPrefix("worker-") }.allSatisfy { $0.contains(" 200 ") }, "workers ready: \(status.output)")

        let again = try await Self.run(["start", "--workers", "2"] + dir, environment: environment)
        #expect(again.status == 0)
        #expect(again.output.components(separatedBy: "already running").count - 1 == 5, "\(again.output)")

        let stop = try await Self.run(["stop"] + dir, environment: [:])
        #expect(stop.status == 0)
        #expect(stop.output.components(separatedBy: ": stopped (pid").count - 1 == 5, "clean exits: \(stop.output)")
        #expect(!stop.output.contains("killed"))
        let twice = try await Self.run(["stop"] + dir, environment: [:])
        #expect(twice.status == 0 && twice.output.isEmpty, "\(twice.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/pids").isEmpty)
    }

    @Test("a bad option names itself and starts nothing")
    func badOptions() async throws {
        let directory = NSTemporaryDirectory() + "loyalty-local-cluster-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (arguments, named) in [(["--workers", "x"], "--workers"), (["--wait", "soon"], "--wait"), (["--colour", "red"], "--colour")] {
            let result = try await Self.run(["start", "--dir", directory] + arguments, environment: [:])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.output.contains(named), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/pids"), "nothing started")
        }
    }
}
