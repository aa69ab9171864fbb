import ArgumentParser
import Benchmarks
import Foundation
import Programme
import Worker

/// The ledger alone, several times, for work on the ledger itself.
struct BenchLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Apply rate of the shards alone (no Kafka), over several runs; prints each run and the best.",
        discussion: """
            The messages of `bench worker`, split into partitions as the producer's \
            partitioner does, applied into fresh shard files in this process: \
            10,000 per SQL transaction, shards on --apply-threads threads. This is the \
            "ledger alone" line of `bench worker` without the broker, the worker and \
            kcat, repeated --runs times: on a shared machine the best figures (highest \
            rate, least CPU per record) say most about a change to the ledger. Every run \
            must end with the same shard digests. Build with -c release.
            """
    )

    @Option(help: "Messages.") var messages = 500_000
    @Option(help: "Partitions (shard files).") var partitions: Int32 = 16
    @Option(help: "Members.") var members = 50_000
    @OptionGroup var applyThreads: ApplyThreadsOption
    @Option(help: "Runs, each into fresh files.") var runs = 5
    @Option(help: "Working directory (wiped first).") var data = "var/bench-ledger"
    @OptionGroup var output: BenchJSONOption

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs: must be at least 1, got \(runs)") }
        guard partitions >= 1 else { throw ValidationError("--partitions: must be at least 1, got \(partitions)") }
    }

    func run() async throws {
        let figures = BenchFigures(bench: "ledger", output)
        let programme = Programme.sample
        let byPartition = LedgerBenchmark.partitioned(
            BenchWorker.workload(messages: messages, members: members, programme: programme), partitionCount: partitions)
        let files = FileManager.default
        if files.fileExists(atPath: data) { try files.removeItem(atPath: data) }
        let threads = applyThreads.threads
        print("\(Format.grouped(Int64(messages))) messages, \(partitions) shards, \(threads) apply thread(s), \(runs) run(s)")
        var rows = [["run", "seconds", "records/s", "CPU µs per record", "cores"]]
        var rates: [Double] = []
        var cpuPerRecord: [Double] = []
        var firstDigests: [Int32: String]?
        for index in 1...runs {
            let directory = "\(data)/run-\(index)"
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let result = try LedgerBenchmark.run(partitions: byPartition, dataDirectory: directory, programme: programme, threads: threads)
            try files.removeItem(atPath: directory)
            if let firstDigests, firstDigests != result.digests {
                throw CLIError("run \(index) ended with other shard digests than run 1: the ledger is not deterministic; stop and investigate")
            }
            firstDigests = firstDigests ?? result.digests
            let rate = Double(result.records) / result.seconds
            let cpu = result.cpuSeconds.map { $0 / Double(result.records) * 1e6 }
            rates.append(rate)
            if let cpu { cpuPerRecord.append(cpu) }
            rows.append([
                String(index), String(format: "%.2f", result.seconds), Format.grouped(Int64(rate)),
                cpu.map { String(format: "%.1f", $0) } ?? "-",
                result.cpuSeconds.map { String(format: "%.1f", $0 / result.seconds) } ?? "-",
            ])
        }
        print(Format.table(rows))
        print(
            "best: \(Format.grouped(Int64(rates.max() ?? 0))) records/s"
                + (cpuPerRecord.min().map { String(format: "; least CPU: %.1f µs per record", $0) } ?? ""))
        print("every run ended with the same shard digests")
        figures.set("messages", messages)
        figures.set("partitions", Int(partitions))
        figures.set("apply_threads", threads)
        figures.set("runs_records_per_second", rates.map { $0.rounded() })
        figures.set("best_records_per_second", (rates.max() ?? 0).rounded())
        if let least = cpuPerRecord.min() { figures.set("least_cpu_us_per_record", (least * 100).rounded() / 100) }
        figures.set("digests_equal", true)
        try figures.finish()
        #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and .build/release/loyalty bench ledger")
        #endif
    }
}
