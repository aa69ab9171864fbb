import ArgumentParser
import Benchmarks
import Foundation
import Ledger
import Programme

/// One shard growing through a long history: do its costs stay flat?
struct BenchHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "One shard through a long history: apply rate, barrier stall, snapshot, hand-over, memory and disk, early and late.",
        discussion: """
            Builds one shard of --transactions synthetic transactions (accruals, \
            redemptions, refunds, cancels, the odd repeat and bad one) spread over --days \
            days, with a barrier closing every day, applied as the worker applies (no \
            Kafka; batches of 10,000, a barrier applied in a batch of its own so its stall \
            is timed alone). Every --snapshot-every-days days a snapshot is taken. Prints \
            the apply rate of the first, the next-to-last and the last --window \
            transactions (records/s, CPU and the pages their COMMITs wrote per record: \
            counted, so the same in every run of a build) and, when the run passes the \
            steady day with a whole window to spare, of the first --window after it (the \
            last against it: the costs once the hot state has its size), the WAL checkpoints taken beside \
            the applying thread and inside its COMMITs, the barrier stall of the first, the \
            middle and the last 10 barriers, the newest snapshot's size and \
            time, the hand-over (restore that snapshot into a fresh path and replay the \
            tail) beside the replay from zero (the build itself), one member's whole \
            history (archives read and skipped by their member index), and resident memory and \
            disk in the middle, once the hot state is steady and at the end. The hot \
            state is steady from day expiry + reversal window + max(horizon, window) + 2 \
            (727 at the defaults: run --days 1040 --transactions 7222000, the same volume \
            a day, to see it flat, with the first window after it apart from the last). \
            Build with -c release.
            """
    )

    @Option(help: "Transactions in the shard.") var transactions = 5_000_000
    @Option(help: "Members.") var members = 100_000
    @Option(help: "Days of event time (a barrier per day); several times the programme's horizons.") var days = 720
    @Option(
        help: """
            Days between snapshots: the hand-over replays up to this many days. (A worker, \
            by default, snapshots a shard at every sealed cycle and every 15 minutes.)
            """)
    var snapshotEveryDays = 15
    @Option(help: "The programme's idempotency horizon, days (history passes it: its rows go to the archives).")
    var horizonDays = 90
    @Option(help: "The programme's reversal window, days.") var reversalDays = 180
    @Option(
        help: """
            Months after which a lot expires. Lots with points left are balances, not history: \
            they stay hot until they expire, so the hot tables level off once history passes this too.
            """
    )
    var expiryMonths = 12
    @Option(help: "Transactions in each apply-rate window (the first, the one before the last, the last).") var window = 1_000_000
    @Option(help: "Working directory (wiped first).") var data = "var/bench-history"
    @OptionGroup var output: BenchJSONOption

    /// Barriers in each of the early and late stall samples.
    static let stallSample = 10

    func validate() throws {
        guard transactions >= 1 else { throw ValidationError("--transactions: must be at least 1, got \(transactions)") }
        guard members >= 1 else { throw ValidationError("--members: must be at least 1, got \(members)") }
        guard days >= 1 else { throw ValidationError("--days: must be at least 1, got \(days)") }
        guard snapshotEveryDays >= 1 else {
            throw ValidationError("--snapshot-every-days: must be at least 1, got \(snapshotEveryDays)")
        }
        guard window >= 1 else { throw ValidationError("--window: must be at least 1, got \(window)") }
        guard horizonDays >= 1 else { throw ValidationError("--horizon-days: must be at least 1, got \(horizonDays)") }
        guard reversalDays >= 1 else { throw ValidationError("--reversal-days: must be at least 1, got \(reversalDays)") }
        guard Programme.expiryMonthsRange.contains(expiryMonths) else {
            throw ValidationError("--expiry-months: must be in \(Programme.expiryMonthsRange) (0 = never), got \(expiryMonths)")
        }
    }

    func run() async throws {
        let figures = BenchFigures(bench: "history", output)
        let files = FileManager.default
        if files.fileExists(atPath: data) { try files.removeItem(atPath: data) }
        var settings = HistoryBenchmark.Settings()
        settings.transactions = transactions
        settings.members = members
        settings.days = Int64(days)
        settings.snapshotEveryDays = Int64(snapshotEveryDays)
        settings.window = window
        var programme = Programme.sample
        programme.idempotencyHorizonDays = horizonDays
        programme.reversalWindowDays = reversalDays
        programme.archivesCycleSummaries = true
        programme.expiryMonths = expiryMonths
        settings.steadyDay = HistoryBenchmark.steadyDay(programme: programme)
        print(
            "\(Format.grouped(Int64(transactions))) transactions, \(Format.grouped(Int64(members))) members, \(days) days, one shard; "
                + "idempotency horizon \(horizonDays) days, reversal window \(reversalDays) days (cycle summaries archived too), lots expire after \(expiryMonths) months"
        )
        let result = try HistoryBenchmark.run(settings: settings, programme: programme, directory: data) { print($0) }
        report(result, figures, steadyDay: settings.steadyDay)
        try figures.finish()
        #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and .build/release/loyalty bench history")
        #endif
    }

    /// A row of the apply table: the rate and the CPU vary with the machine's load, the
    /// pages written (the WAL frames of the window's COMMITs) do not.
    private func windowRow(_ label: String, _ window: HistoryBenchmark.Window) -> [String] {
        [
            label, Format.grouped(Int64(window.recordsPerSecond)), String(format: "%.1f", window.cpuMicrosecondsPerRecord),
            String(format: "%.2f", window.pagesPerRecord),
        ]
    }

    private func report(_ result: HistoryBenchmark.Result, _ figures: BenchFigures, steadyDay: Int64?) {
        let w = result.windows
        print("")
        let label = Format.grouped(Int64(min(window, result.transactions)))
        var windows = [
            ["transactions", "records/s", "CPU µs per record", "pages written per record"],
            windowRow("first \(label)", w.first),
            windowRow("before the last \(label)", w.beforeLast),
            windowRow("last \(label)", w.last),
        ]
        if let day = result.afterSteadyDay { windows.append(windowRow("first \(label) after day \(day) (steady)", w.afterSteady)) }
        print(Format.table(windows))
        let ratio = w.first.recordsPerSecond > 0 ? w.last.recordsPerSecond / w.first.recordsPerSecond : 0
        let steady = w.beforeLast.recordsPerSecond > 0 ? w.last.recordsPerSecond / w.beforeLast.recordsPerSecond : 0
        print(String(format: "last / first = %.2f   (target >= 0.80); last / before the last = %.2f", ratio, steady))
        if let day = result.afterSteadyDay, w.afterSteady.recordsPerSecond > 0 {
            // The warm-up left out: both windows run on the hot state at its size.
            let flat = w.last.recordsPerSecond / w.afterSteady.recordsPerSecond
            print(String(format: "last / first after the steady day (day %lld) = %.2f", day, flat))
            figures.set("after_steady_day", Int(day))
            figures.set("after_steady_records_per_second", w.afterSteady.recordsPerSecond.rounded())
            figures.set("after_steady_cpu_us_per_record", rounded(w.afterSteady.cpuMicrosecondsPerRecord, 1))
            figures.set("after_steady_pages_per_record", rounded(w.afterSteady.pagesPerRecord, 2))
            figures.set("last_after_steady_ratio", rounded(flat, 2))
        }
        figures.set("transactions", result.transactions)
        figures.set("window_transactions", min(window, result.transactions))
        figures.set("first_records_per_second", w.first.recordsPerSecond.rounded())
        figures.set("last_records_per_second", w.last.recordsPerSecond.rounded())
        figures.set("first_cpu_us_per_record", rounded(w.first.cpuMicrosecondsPerRecord, 1))
        figures.set("last_cpu_us_per_record", rounded(w.last.cpuMicrosecondsPerRecord, 1))
        figures.set("last_first_ratio", rounded(ratio, 2))
        figures.set("before_last_records_per_second", w.beforeLast.recordsPerSecond.rounded())
        figures.set("before_last_cpu_us_per_record", rounded(w.beforeLast.cpuMicrosecondsPerRecord, 1))
        figures.set("last_before_last_ratio", rounded(steady, 2))
        figures.set("first_pages_per_record", rounded(w.first.pagesPerRecord, 2))
        figures.set("before_last_pages_per_record", rounded(w.beforeLast.pagesPerRecord, 2))
        figures.set("last_pages_per_record", rounded(w.last.pagesPerRecord, 2))
        print(
            "WAL checkpoints: \(result.checkpointsOffThread) off the applying thread (\(result.checkpointPasses) passes), "
                + "\(result.checkpointsInCommits) inside its COMMITs (the writer's backstop)")
        figures.set("checkpoints_off_thread", result.checkpointsOffThread)
        figures.set("checkpoint_passes", result.checkpointPasses)
        figures.set("checkpoints_in_commits", result.checkpointsInCommits)

        let stalls = result.barrierMilliseconds
        let early = Array(stalls.prefix(Self.stallSample))
        let middle = Array(stalls.dropFirst(max(0, stalls.count / 2 - Self.stallSample / 2)).prefix(Self.stallSample))
        let late = Array(stalls.suffix(Self.stallSample))
        print(
            "barrier stall (apply + commit), ms: first \(early.count): median \(format(median(early))), max \(format(early.max() ?? 0)); "
                + "middle \(middle.count): median \(format(median(middle))), max \(format(middle.max() ?? 0)); "
                + "last \(late.count): median \(format(median(late))), max \(format(late.max() ?? 0))   (target: <= 50 ms at the end, not growing)")
        figures.set("barriers", stalls.count)
        figures.set("barrier_stall_first_median_ms", rounded(median(early), 2))
        figures.set("barrier_stall_first_max_ms", rounded(early.max() ?? 0, 2))
        figures.set("barrier_stall_middle_median_ms", rounded(median(middle), 2))
        figures.set("barrier_stall_middle_max_ms", rounded(middle.max() ?? 0, 2))
        figures.set("barrier_stall_last_median_ms", rounded(median(late), 2))
        figures.set("barrier_stall_last_max_ms", rounded(late.max() ?? 0, 2))
        let phases = result.barrierPhases
        for (name, sample, stallSample) in [
            ("first", Array(phases.prefix(Self.stallSample)), early), ("last", Array(phases.suffix(Self.stallSample)), late),
        ] where !sample.isEmpty {
            func mean(_ part: (Shard.BarrierPhases) -> Duration) -> Double {
                sample.map { milliseconds(part($0)) }.reduce(0, +) / Double(sample.count)
            }
            let (breakage, archive, seal, commit) = (mean { $0.breakage }, mean { $0.archive }, mean { $0.seal }, mean { $0.commit })
            let rest = max(0, stallSample.reduce(0, +) / Double(stallSample.count) - breakage - archive - seal - commit)
            let deleted = mean { $0.archivedRowsDeletedBefore }
            print(
                "  \(name) \(sample.count) barriers, mean ms: archive \(format(archive)), breakage \(format(breakage)), "
                    + "seal \(format(seal)), COMMIT \(format(commit)), the rest \(format(rest)); "
                    + "beside the stall, the previous archive's rows deleted in the cycle's first batch \(format(deleted))")
            figures.set(
                "barrier_phases_\(name)_mean_ms",
                [
                    "archive": rounded(archive, 2), "breakage": rounded(breakage, 2), "seal": rounded(seal, 2), "commit": rounded(commit, 2),
                    "rest": rounded(rest, 2), "archived_rows_deleted_before": rounded(deleted, 2),
                ])
        }

        if let snapshot = result.snapshots.last {
            print(
                "snapshot (day \(snapshot.cycle), offset \(Format.grouped(snapshot.nextOffset))): \(megabytes(snapshot.bytes)) MB in "
                    + "\(format(snapshot.seconds)) s")
            let handOver = result.handOver
            print(
                "hand-over: restore \(format(handOver.restoreSeconds)) s + tail of \(Format.grouped(Int64(handOver.tailEntries))) entries "
                    + "\(format(handOver.tailSeconds)) s = \(format(handOver.seconds)) s   (target <= 30 s); "
                    + "replay from zero: \(format(result.buildSeconds)) s; last sealed position "
                    + (handOver.positionEqual ? "equal to the shard's" : "DIFFERS from the shard's"))
            figures.set("snapshots", result.snapshots.count)
            figures.set("snapshot_bytes", snapshot.bytes)
            figures.set("snapshot_seconds", rounded(snapshot.seconds, 3))
            figures.set("handover_restore_seconds", rounded(handOver.restoreSeconds, 3))
            figures.set("handover_tail_entries", handOver.tailEntries)
            figures.set("handover_tail_seconds", rounded(handOver.tailSeconds, 3))
            figures.set("handover_seconds", rounded(handOver.seconds, 3))
            figures.set("handover_position_equal", handOver.positionEqual)
        } else {
            print("no snapshot: the history is shorter than --snapshot-every-days")
        }
        figures.set("replay_from_zero_seconds", rounded(result.buildSeconds, 3))
        let member = result.memberHistory
        print(
            "member history (ledger history of \(member.member)): \(member.entries) rows in \(format(member.seconds)) s, "
                + "\(member.archivesRead) archives read, \(member.archivesSkipped) skipped by their member index")
        figures.set("member_history_seconds", rounded(member.seconds, 3))
        figures.set("member_history_entries", member.entries)
        figures.set("member_history_archives_read", member.archivesRead)
        figures.set("member_history_archives_skipped", member.archivesSkipped)

        let probes = [("middle", result.middle), ("steady", result.steady), ("end", result.end)].compactMap { name, probe in
            probe.map { (name, $0) }
        }
        var rows = [["at", "day", "transactions", "VmRSS MB", "of it anon / file MB", "VmHWM MB", "shard MB", "archives MB"]]
        for (name, probe) in probes {
            rows.append([
                name, String(probe.day), Format.grouped(Int64(probe.transactions)), probe.residentBytes.map(megabytes) ?? "-",
                "\(probe.anonymousResidentBytes.map(megabytes) ?? "-") / \(probe.fileResidentBytes.map(megabytes) ?? "-")",
                probe.peakResidentBytes.map(megabytes) ?? "-", megabytes(probe.shardBytes), megabytes(probe.archiveBytes),
            ])
            figures.set("\(name)_day", probe.day)
            figures.set("\(name)_transactions", probe.transactions)
            if let bytes = probe.residentBytes { figures.set("\(name)_rss_bytes", bytes) }
            if let bytes = probe.peakResidentBytes { figures.set("\(name)_hwm_bytes", bytes) }
            if let bytes = probe.anonymousResidentBytes { figures.set("\(name)_rss_anon_bytes", bytes) }
            if let bytes = probe.fileResidentBytes { figures.set("\(name)_rss_file_bytes", bytes) }
            figures.set("\(name)_shard_bytes", probe.shardBytes)
            figures.set("\(name)_archive_bytes", probe.archiveBytes)
            figures.set("\(name)_table_bytes", probe.tableBytes)
            if let bytes = probe.heapInUseBytes { figures.set("\(name)_heap_in_use_bytes", bytes) }
            if let bytes = probe.heapFreeBytes { figures.set("\(name)_heap_free_bytes", bytes) }
            figures.set("\(name)_cached_members", probe.caches.members)
            figures.set("\(name)_cached_lots", probe.caches.lots)
            figures.set("\(name)_journal_keys", probe.caches.journalKeys)
            figures.set("\(name)_sqlite_page_cache_bytes", probe.caches.sqlitePageCacheBytes)
            figures.set("\(name)_generator_entries", probe.generatorEntries)
        }
        print(Format.table(rows))
        for (name, probe) in probes {
            let heap =
                probe.heapInUseBytes.map { inUse in
                    "heap in use \(megabytes(inUse)) MB (SQLite's page cache \(megabytes(probe.caches.sqlitePageCacheBytes)) MB), freed but kept by malloc "
                        + "\(probe.heapFreeBytes.map(megabytes) ?? "-") MB; "
                } ?? ""
            print(
                "\(name): \(heap)cached members \(Format.grouped(Int64(probe.caches.members))), open lots "
                    + "\(Format.grouped(Int64(probe.caches.lots))), journal keys \(Format.grouped(Int64(probe.caches.journalKeys))); "
                    + "the log's generator holds \(Format.grouped(Int64(probe.generatorEntries))) recent transactions (the bench's own)")
        }
        if let steady = result.steady, let end = result.end {
            func change(_ from: Int64?, _ to: Int64?) -> String {
                guard let from, let to, from > 0 else { return "-" }
                return "\(megabytes(from)) → \(megabytes(to)) MB (\(String(format: "%+.1f", Double(to - from) / Double(from) * 100)) %)"
            }
            print(
                "from the steady state (day \(steady.day)) to the end (day \(end.day)): RssAnon "
                    + "\(change(steady.anonymousResidentBytes, end.anonymousResidentBytes)), heap in use "
                    + "\(change(steady.heapInUseBytes, end.heapInUseBytes)), hot tables and indexes "
                    + "\(change(steady.tableBytes.values.reduce(0, +), end.tableBytes.values.reduce(0, +)))"
                    + "   (target: flat)")
        }
        if result.steady == nil, let steadyDay, let end = result.end {
            print(
                "the hot state is steady from day \(steadyDay), after the end (day \(end.day)): run with --days "
                    + "\(steadyDay + 150) or more (and --transactions to keep the volume a day) to compare it with the end")
        }
        if probes.count > 1 {
            let names = Set(probes.flatMap(\.1.tableBytes.keys)).sorted()
            print(
                "by table and index, MB (\(probes.map(\.0).joined(separator: " → "))): "
                    + names.map { name in
                        "\(name) " + probes.map { megabytes($0.1.tableBytes[name] ?? 0) }.joined(separator: " → ")
                    }.joined(separator: ", "))
        }
    }

    private func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    private func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }

    private func format(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.1f", value) }

    private func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    private func megabytes(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}
