import ArgumentParser
import Benchmarks
import Clearing
import Foundation
import SettlementFiles

/// Netting and settlement files for a large cycle, timed in-process.
struct BenchClearing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearing",
        abstract: "Net --participants participants from --entries gross debts and write every file; prints the time.",
        discussion: """
            The workload is random but seeded (same figures every run). Timed: netting and \
            instruction planning, then rendering and durably writing the instructions CSV, a \
            statement per partner, pain.001, the manifest and its signature (fsync + rename). \
            Build with -c release. Target: under 2 s for 1,000 participants and 1,000,000 entries.
            """
    )

    @Option(help: "Participants (partners + operator).") var participants = 1_000
    @Option(help: "Gross debt entries.") var entries = 1_000_000
    @Option(help: "Runs (each into a fresh directory); the median is reported too.") var runs = 3
    @Option(help: "Working directory (wiped first).") var data = "var/bench-clearing"
    @OptionGroup var output: BenchJSONOption

    func run() async throws {
        let figures = BenchFigures(bench: "clearing", output)
        let files = FileManager.default
        if files.fileExists(atPath: data) { try files.removeItem(atPath: data) }
        let input = ClearingBenchmark.makeInput(participantCount: participants, entryCount: entries)
        let key = SigningKeyFile.generate()
        var totals: [Double] = []
        var rows = [["run", "netting (s)", "files (s)", "total (s)", "obligations", "instructions", "bytes written"]]
        for index in 1...max(1, runs) {
            let result = try ClearingBenchmark.run(input, directory: "\(data)/run-\(index)", signingKey: key)
            let settle = Double(result.settleNanoseconds) / 1e9
            let write = Double(result.writeNanoseconds) / 1e9
            totals.append(settle + write)
            rows.append([
                String(index), String(format: "%.3f", settle), String(format: "%.3f", write), String(format: "%.3f", settle + write),
                Format.grouped(Int64(result.obligationCount)), Format.grouped(Int64(result.instructionCount)),
                Format.grouped(Int64(result.bytesWritten)),
            ])
        }
        print("\(Format.grouped(Int64(participants))) participants, \(Format.grouped(Int64(entries))) gross debt entries")
        print(Format.table(rows))
        let median = totals.sorted()[totals.count / 2]
        print("median total: \(String(format: "%.3f", median)) s   (target: < 2 s in a release build)")
        figures.set("participants", participants)
        figures.set("entries", entries)
        figures.set("runs_total_seconds", totals.map { ($0 * 1000).rounded() / 1000 })
        figures.set("median_total_seconds", (median * 1000).rounded() / 1000)
        #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and .build/release/loyalty bench clearing")
        #endif
        try figures.finish()
    }
}
