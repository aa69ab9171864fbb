import ArgumentParser
import Worker

/// `--apply-threads`, shared by the worker and the benchmarks that apply shards.
struct ApplyThreadsOption: ParsableArguments {
    @Option(
        name: .customLong("apply-threads"),
        help: ArgumentHelp(
            "Threads applying shards at once (1-\(WorkerConfiguration.maxApplyThreads)); default: one per core seen. In a container, its CPU limit.",
            valueName: "n"))
    var requested: Int?

    func validate() throws {
        if let requested, !(1...WorkerConfiguration.maxApplyThreads).contains(requested) {
            throw ValidationError("--apply-threads: must be 1...\(WorkerConfiguration.maxApplyThreads), got \(requested)")
        }
    }

    /// The threads a worker given this option uses.
    var threads: Int { WorkerConfiguration.applyThreads(requested: requested) }
}
