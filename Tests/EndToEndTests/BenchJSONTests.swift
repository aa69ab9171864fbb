import Foundation
import LoyaltyTesting
import Testing

/// `loyalty bench … --json`: stdout is one JSON object of the figures (for scripts and
/// CI dashboards), the human report goes to stderr. Tiny workloads: the shape is tested
/// here, the speed by the benches themselves.
@Suite(.timeLimit(.minutes(10)))
struct BenchJSONTests {
    @Test(arguments: [
        (["ledger", "--messages", "600", "--members", "60", "--partitions", "2", "--runs", "2"], ["best_records_per_second", "digests_equal"]),
        (["clearing", "--participants", "12", "--entries", "500", "--runs", "1"], ["median_total_seconds", "runs_total_seconds"]),
    ])
    func stdoutIsOneObjectOfTheFigures(arguments: [String], keys: [String]) async throws {
        let (out, report) = try await bench(arguments)

        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1, "stdout must be the object alone, got:\n\(String(decoding: out, as: UTF8.self))")
        let object = try #require(try JSONSerialization.jsonObject(with: out) as? [String: Any])
        #expect(object["bench"] as? String == arguments[0])
        for key in keys { #expect(object[key] != nil, "no \(key) in \(object)") }
        if arguments[0] == "ledger" { #expect(object["digests_equal"] as? Bool == true) }
        // The human report still comes, on stderr.
        #expect(report.contains(arguments[0] == "ledger" ? "best:" : "median total:"), "no report on stderr:\n\(report)")
    }

    /// A tiny history: 45 days, a barrier a day, a snapshot every 10 days, horizons of 10
    /// and 20 days (so the first weeks go to the archives).
    @Test func historyGivesEveryFigureAndAHandOverThatEndsEqual() async throws {
        let (out, report) = try await bench([
            "history", "--transactions", "20000", "--members", "2000", "--days", "45", "--snapshot-every-days", "10",
            "--window", "5000", "--horizon-days", "10", "--reversal-days", "20",
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: out) as? [String: Any])
        func number(_ key: String) -> Double { (object[key] as? NSNumber)?.doubleValue ?? -1 }

        #expect(object["bench"] as? String == "history")
        #expect(number("transactions") == 20_000)
        #expect(number("window_transactions") == 5_000)
        // A barrier closing each of the 45 days, a snapshot after days 10, 20, 30 and 40.
        #expect(number("barriers") == 45)
        #expect(number("snapshots") == 4)
        for key in ["first_records_per_second", "last_records_per_second", "first_cpu_us_per_record", "last_cpu_us_per_record"] {
            #expect(number(key) > 0, "\(key) in \(object)")
        }
        // Every batch COMMITs pages; a transaction writes a handful at most, not dozens.
        for key in ["first_pages_per_record", "before_last_pages_per_record", "last_pages_per_record"] {
            #expect(number(key) > 0 && number(key) < 20, "\(key) in \(object)")
        }
        for key in [
            "barrier_stall_first_median_ms", "barrier_stall_middle_median_ms", "barrier_stall_last_max_ms", "last_before_last_ratio",
            "snapshot_seconds", "replay_from_zero_seconds",
        ] {
            #expect(number(key) > 0, "\(key) in \(object)")
        }
        #expect(number("barrier_stall_first_median_ms") <= number("barrier_stall_first_max_ms"))
        // The hot state is steady from day 407 here (12 months + 20 + 20 + 2): no window after it.
        #expect(object["last_after_steady_ratio"] == nil && object["after_steady_day"] == nil, "\(object)")
        // The WAL checkpoints, counted: each taken beside the writer in one pass or more.
        for key in ["checkpoints_off_thread", "checkpoint_passes", "checkpoints_in_commits"] {
            #expect(object[key] is Int, "\(key) in \(object)")
        }
        #expect(number("checkpoint_passes") >= number("checkpoints_off_thread"))
        #expect(number("snapshot_bytes") > 4096)
        // The tail after day 40's snapshot: 5 days of transactions (about 2,222) and their barriers.
        #expect(number("handover_tail_entries") > 2_000 && number("handover_tail_entries") < 2_500)
        #expect(object["handover_position_equal"] as? Bool == true)
        // A member of 2,000 over 45 days: some archives hold it, the index skips the rest.
        #expect(number("member_history_entries") > 0 && number("member_history_seconds") > 0)
        #expect(number("member_history_archives_read") >= 1 && number("member_history_archives_skipped") >= 1, "\(object)")
        for at in ["middle", "end"] {
            #expect(number("\(at)_rss_bytes") > 0)
            #expect(number("\(at)_hwm_bytes") >= number("\(at)_rss_bytes"))
            #expect(number("\(at)_shard_bytes") > 0)
            #expect((object["\(at)_table_bytes"] as? [String: Any])?.isEmpty == false, "\(at)_table_bytes in \(object)")
            // SQLite's page cache (part of the heap), and the generator's recent transactions (the end
            // probe is taken at the last barrier, with the generator still alive).
            #expect(number("\(at)_sqlite_page_cache_bytes") > 0)
            #expect(number("\(at)_generator_entries") > 0)
        }
        #expect(number("end_generator_entries") >= number("middle_generator_entries"))
        #expect(number("end_transactions") == 20_000)
        let phases = try #require(object["barrier_phases_last_mean_ms"] as? [String: Any])
        #expect(phases["archived_rows_deleted_before"] != nil, "\(phases)")
        #expect(number("middle_transactions") >= 10_000 && number("middle_transactions") < 20_000)
        // Cycles closed more than 20 days before the last barrier are archived by the end.
        #expect(number("end_archive_bytes") > 0)
        #expect(report.contains("last / first ="), "no report on stderr:\n\(report)")
        // Lots expire after 12 months (day 365); a redemption from one reversed 20 days
        // later empties it again, and it leaves after max(10, 20) days more and two
        // barriers: no steady probe in 45 days, and the report says from when.
        #expect(object["steady_day"] == nil)
        #expect(report.contains("the hot state is steady from day 407, after the end (day 45)"), "\(report)")
    }

    /// Runs `loyalty bench <arguments> --json` in a fresh working directory; its stdout and
    /// its report (stderr). Requires that it exits 0.
    private func bench(_ arguments: [String]) async throws -> (out: Data, report: String) {
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
        return (out, report)
    }
}
