import ArgumentParser
import Foundation
import Logging
import NodeRuntime
import ServiceLifecycle
import UnixSignals
import Worker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run an accrual worker: consume transactions, keep one SQLite ledger per partition.",
        discussion: """
            Workers with the same --group share the partitions; each keeps the shard files \
            of the partitions it owns in --data (shard-NNNN.sqlite). A partition's offset \
            is stored in its shard file with the ledger rows, so a killed worker resumes \
            exactly where its last committed batch ended. SIGTERM/SIGINT: the batch in \
            hand is finished and stored, the group is left, exit 0.
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var programme: ProgrammeOption
    @Option(help: "Directory of the shard files.") var data = "var/worker"
    @Option(help: "Consumer group of the workers.") var group = "loyalty-accrual"
    @Option(help: "Most records applied per SQL transaction.") var maxBatch = WorkerConfiguration.defaultMaxBatchRecords
    @Option(help: "Consumer session timeout in ms: how soon a dead worker's partitions move.")
    var sessionTimeoutMs = 6_000
    @Option(
        help: "Linger of the results producer in ms: fewer, fuller requests under load; adds up to this much to each wait=true answer (0 for tills).")
    var resultsLingerMs = WorkerConfiguration.defaultResultsLingerMilliseconds
    @Option(
        help:
            "fetch.wait.max.ms of the consumer (librdkafka default 500). Kafka answers fetches as records arrive; the embedded mock cluster holds them this long: use 1-5 there."
    )
    var fetchWaitMs: Int?
    @OptionGroup var applyThreads: ApplyThreadsOption
    @OptionGroup var snapshots: SnapshotOptions
    @Option(help: "Root of the shards' archive directories (<root>/partition-NNNN); default <data>/archive. Durable storage: part of the ledger.")
    var archiveDir: String?
    @Flag(help: "Exit 0 once every assigned partition is applied to its end (batch runs, benchmarks).")
    var exitWhenCaughtUp = false
    @Option(help: "Port of GET /metrics, /health and /ready (0: any free port; the start log line names it).")
    var metricsPort = ObservabilityServer.workerDefaultPort
    @Option(help: "Address the metrics port listens on.") var metricsHost = ObservabilityServer.defaultHost
    @Option(help: "/ready answers 200 only while every assigned partition is at most this many records behind.")
    var readyMaxLag: Int64 = 10_000
    @OptionGroup var log: LogOptions

    func validate() throws {
        if let problem = ObservabilityServer.problem(port: metricsPort) { throw ValidationError(problem) }
        if readyMaxLag < 0 { throw ValidationError("--ready-max-lag \(readyMaxLag): must be 0 or more records") }
    }

    func run() async throws {
        let logger = try log.bootstrap(label: "loyalty.worker")
        var configuration = WorkerConfiguration(
            bootstrapServers: try kafka.resolvedBootstrapServers(), dataDirectory: data
        )
        configuration.groupId = group
        configuration.maxBatchRecords = maxBatch
        configuration.sessionTimeoutMilliseconds = sessionTimeoutMs
        configuration.exitWhenCaughtUp = exitWhenCaughtUp
        configuration.resultsLingerMilliseconds = resultsLingerMs
        configuration.fetchWaitMilliseconds = fetchWaitMs
        configuration.applyThreads = applyThreads.requested
        configuration.kafkaExtra = try kafka.extra()
        snapshots.apply(to: &configuration)
        configuration.archiveDirectory = archiveDir
        let worker = AccrualWorker(configuration: configuration, programme: try programme.load(), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    // Started first, stopped last: /health says 503 while the worker stops.
                    .init(service: worker.observabilityServer(host: metricsHost, port: metricsPort, readyMaxLag: readyMaxLag, logger: logger)),
                    .init(
                        service: worker, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        let summary = worker.progress.snapshot
        let failures = summary.partitions.compactMap { partition, state in state.failure.map { "partition \(partition): \($0)" } }
        // One machine-readable line for scripts and the benchmark.
        print(WorkerSummary(summary, cpuSeconds: processCPUSeconds()).json)
        if !failures.isEmpty {
            throw CLIError("stopped partitions:\n" + failures.sorted().joined(separator: "\n"))
        }
    }
}

/// What a worker did, printed as one JSON line when it exits.
struct WorkerSummary: Codable {
    var records: Int64
    var deadLetters: Int64
    /// Outputs Kafka refused for good, published in a bounded form instead (each logged).
    var replacedOutputs: Int64?
    var batches: Int64
    var activeSeconds: Double
    /// CPU time (user + system) of the whole process, start-up and shutdown included.
    var cpuSeconds: Double?
    var partitions: [String: Int64]

    init(_ snapshot: WorkerProgress.Snapshot, cpuSeconds: Double?) {
        records = snapshot.recordsApplied
        deadLetters = snapshot.deadLetters
        replacedOutputs = snapshot.replacedOutputs
        batches = snapshot.batches
        activeSeconds = snapshot.activeSeconds
        self.cpuSeconds = cpuSeconds
        partitions = Dictionary(uniqueKeysWithValues: snapshot.partitions.map { (String($0.key), $0.value.nextOffset) })
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
