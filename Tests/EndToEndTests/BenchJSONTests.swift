import Foundation
import LoyaltyTesting
import Testing

/// `loyalty bench … --json`: stdout is one JSON object of the figures (for scripts and
/// CI dashboards), the human report goes to stderr. Tiny workloads: the shape is tested
/// here, the speed by the benches themselves.
@Suite(.timeLimit(.minutes(5)))
struct BenchJSONTests {
    @Test(arguments: [
        (["ledger", "--messages", "600", "--members", "60", "--partitions", "2", "--runs", "2"], ["best_records_per_second", "digests_equal"]),
        (["clearing", "--participants", "12", "--entries", "500", "--runs", "1"], ["median_total_seconds", "runs_total_seconds"]),
    ])
    func stdoutIsOneObjectOfTheFigures(arguments: [String], keys: [String]) async throws {
        let data = NSTemporaryDirectory() + "loyalty-bench-json-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments = ["bench"] + arguments + ["--json", "--data", data]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Small outputs: read after exit (the pipes' buffers hold them).
        try await exited(process, timeoutSeconds: 240)
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let report = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus == 0, "bench \(arguments[0]) failed:\n\(report)")

        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1, "stdout must be the object alone, got:\n\(String(decoding: out, as: UTF8.self))")
        let object = try #require(try JSONSerialization.jsonObject(with: out) as? [String: Any])
        #expect(object["bench"] as? String == arguments[0])
        for key in keys { #expect(object[key] != nil, "no \(key) in \(object)") }
        if arguments[0] == "ledger" { #expect(object["digests_equal"] as? Bool == true) }
        // The human report still comes, on stderr.
        #expect(report.contains(arguments[0] == "ledger" ? "best:" : "median total:"), "no report on stderr:\n\(report)")
    }
}
