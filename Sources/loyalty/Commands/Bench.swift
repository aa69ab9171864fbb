import ArgumentParser
import Benchmarks
import Foundation
import Kafka
import Ledger
import Logging
import LoyaltyWire
import NodeRuntime
import Programme
import Simulation
import SwiftProtobuf
import Worker

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput; prints figures, asserts nothing.",
        subcommands: [BenchWorker.self, BenchLedger.self, BenchClearing.self, BenchGateway.self, BenchHistory.self]
    )
}

/// One worker process against kcat on the same topic of the same embedded cluster.
struct BenchWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Apply rate of one worker process versus kcat's raw consume rate on the same topic.",
        discussion: """
            Fills the transactions topic of an embedded cluster with --messages mixed \
            accruals and redemptions, then runs `loyalty worker --exit-when-caught-up` as a \
            separate process (build with -c release to measure the real thing) and reports \
            its rate over the time it spent applying (group join excluded). Then times \
            kcat reading the same topic from the beginning to the end. kcat is the \
            Kafka-layer ceiling: it reads and discards; the worker decodes, applies to \
            SQLite with the offset, and publishes a result per record with acks=all. \
            Last, applies the same messages straight into fresh shards in this process \
            (no Kafka, same batch size and apply threads) and checks that every shard's \
            digest equals the worker's: the floor the ledger sets for any worker.
            """
    )

    @Option(help: "Messages to fill the topic with.") var messages = 500_000
    @Option(help: "Partitions (the 2.0.2 mock keeps about 100,000 records or 5 MiB per partition).")
    var partitions: Int32 = 16
    @Option(help: "Members.") var members = 50_000
    @Option(help: "Working directory (wiped first).") var data = "var/bench-worker"
    /// For the worker process and the ledger-alone run.
    @OptionGroup var applyThreads: ApplyThreadsOption
    @OptionGroup var output: BenchJSONOption
    @Option(
        help: ArgumentHelp(
            "Run the worker process under this command, split at spaces (a profiler: \"perf record -g\", \"valgrind --tool=callgrind\").",
            valueName: "command"))
    var workerPrefix = ""

    func run() async throws {
        let environment = try BenchEnvironment(data: data, partitions: partitions)
        let (logger, cluster, topics) = (environment.logger, environment.cluster, environment.topics)
        defer { cluster.shutdown() }
        let programme = Programme.sample
        let figures = BenchFigures(bench: "worker", output)

        print("filling \(topics.transactions) (\(partitions) partitions) with \(Format.grouped(Int64(messages))) messages ...")
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let feeder = Feeder(producer: producer)
        // Kept by partition, in log order, for the ledger-alone run below.
        var byPartition = [[Transaction]](repeating: [], count: Int(partitions))
        for transaction in Self.workload(messages: messages, members: members, programme: programme) {
            let value: [UInt8] = try Loyalty_V1_TransactionEnvelope(transaction).serializedBytes()
            let key = Array(transaction.memberId.utf8)
            // The producer's murmur2_random partitioner, so each partition's offsets are known.
            let partition = Murmur2.partition(key: key, partitionCount: partitions)
            byPartition[Int(partition)].append(transaction)
            feeder.send(ProducerRecord(topic: topics.transactions, partition: partition, key: key, value: value))
        }
        try feeder.drain(timeoutMilliseconds: 120_000)
        producer.shutdown()
        let filled = feeder.snapshot
        guard filled.failed == 0, filled.acknowledged == messages else {
            throw CLIError("filling failed: \(filled.acknowledged) acknowledged, \(filled.failed) failed: \(filled.firstFailure ?? "")")
        }

        let worker = try runWorker(bootstrap: cluster.bootstrapServers)
        let kcat = try runKcat(bootstrap: cluster.bootstrapServers, topic: topics.transactions)
        let ledger = try runLedgerAlone(byPartition, programme: programme)
        let workerRate = Double(worker.records) / worker.activeSeconds
        let kcatRate = Double(kcat.records) / kcat.seconds
        let ledgerRate = Double(ledger.records) / ledger.seconds
        print("")
        print(
            Format.table([
                ["consumer", "records", "seconds", "records/s"],
                [
                    "loyalty worker (1 process)", Format.grouped(worker.records), String(format: "%.2f", worker.activeSeconds),
                    Format.grouped(Int64(workerRate)),
                ],
                ["kcat -C (raw consume)", Format.grouped(kcat.records), String(format: "%.2f", kcat.seconds), Format.grouped(Int64(kcatRate))],
                [
                    "ledger alone (no Kafka)", Format.grouped(Int64(ledger.records)), String(format: "%.2f", ledger.seconds),
                    Format.grouped(Int64(ledgerRate)),
                ],
            ]))
        print("")
        print("worker / kcat = \(String(format: "%.2f", workerRate / kcatRate))   (targets: worker >= 100,000 records/s, ratio >= 0.50)")
        print(
            "ledger alone / kcat = \(String(format: "%.2f", ledgerRate / kcatRate))   "
                + "(the same messages into fresh shards, \(WorkerConfiguration.defaultMaxBatchRecords) per SQL transaction, "
                + "shards on the worker's apply threads: no worker over these shards can beat it)")
        let differing = try differingShards(ledger.digests, programme: programme)
        figures.set("messages", messages)
        figures.set("partitions", Int(partitions))
        figures.set("worker_records_per_second", workerRate.rounded())
        figures.set("kcat_records_per_second", kcatRate.rounded())
        figures.set("ledger_alone_records_per_second", ledgerRate.rounded())
        figures.set("worker_kcat_ratio", (workerRate / kcatRate * 100).rounded() / 100)
        figures.set("ledger_alone_kcat_ratio", (ledgerRate / kcatRate * 100).rounded() / 100)
        figures.set("digests_equal", differing.isEmpty)
        for (name, cpu, records) in [
            ("worker", worker.cpuSeconds, Double(worker.records)), ("kcat", kcat.cpuSeconds, Double(kcat.records)),
            ("ledger_alone", ledger.cpuSeconds, Double(ledger.records)),
        ] {
            if let cpu, records > 0 { figures.set("\(name)_cpu_us_per_record", (cpu / records * 1e7).rounded() / 10) }
        }
        print(
            differing.isEmpty
                ? "ledger alone: every shard's digest equals the worker's (the same work was measured)"
                : "WARNING: ledger alone differs from the worker in partitions \(differing); its figure is not comparable")
        if let cpu = worker.cpuSeconds, worker.records > 0 {
            // Steadier than the rate on a shared machine, and what a faster worker must cut.
            print(
                "worker CPU \(String(format: "%.2f", cpu)) s (user + system, whole process) = "
                    + "\(String(format: "%.1f", cpu / Double(worker.records) * 1e6)) µs per record; "
                    + "\(String(format: "%.1f", cpu / worker.activeSeconds)) of \(ProcessInfo.processInfo.activeProcessorCount) cores while applying")
        }
        if let cpu = kcat.cpuSeconds, kcat.records > 0 {
            print(
                "kcat CPU \(String(format: "%.2f", cpu)) s = \(String(format: "%.1f", cpu / Double(kcat.records) * 1e6)) µs per record; "
                    + "\(String(format: "%.1f", cpu / kcat.seconds)) cores")
        }
        if let cpu = ledger.cpuSeconds, ledger.records > 0 {
            print(
                "ledger alone CPU \(String(format: "%.2f", cpu)) s = \(String(format: "%.1f", cpu / Double(ledger.records) * 1e6)) µs per record; "
                    + "\(String(format: "%.1f", cpu / ledger.seconds)) cores")
        }
        #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and .build/release/loyalty bench worker")
        #endif
        try figures.finish()
    }

    /// The benchmarks' traffic: accruals and 30 % redemptions, nothing invalid or repeated.
    static func workload(messages: Int, members: Int, programme: Programme) -> SyntheticCoalition {
        var settings = SyntheticCoalition.Settings()
        settings.members = members
        settings.transactions = messages
        settings.refundPerMille = 0
        settings.cancelPerMille = 0
        settings.repeatPerMille = 0
        settings.invalidPerMille = 0
        settings.redemptionPerMille = 300
        return SyntheticCoalition(programme: programme, settings: settings)
    }

    /// The same transactions applied straight into fresh shards, timed in this process.
    private func runLedgerAlone(_ byPartition: [[Transaction]], programme: Programme) throws -> LedgerBenchmark.Result {
        let directory = "\(data)/ledger-alone"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try LedgerBenchmark.run(
            partitions: byPartition, dataDirectory: directory, programme: programme,
            threads: applyThreads.threads)
    }

    /// Partitions whose ledger-alone digest differs from the worker's shard.
    private func differingShards(_ digests: [Int32: String], programme: Programme) throws -> [Int32] {
        try digests.keys.sorted().filter { partition in
            let shard = try Shard(
                path: WorkerConfiguration.shardPath(dataDirectory: "\(data)/shards", partition: partition),
                partition: partition, programme: programme)
            defer { shard.close() }
            return try shard.digest() != digests[partition]
        }
    }

    private func runWorker(bootstrap: String) throws -> WorkerSummary {
        let process = Process()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        // A worker needs an explicit programme file: the bench's is the built-in sample.
        let programmePath = "\(data)/programme.json"
        try Data(Programme.sampleJSON.utf8).write(to: URL(fileURLWithPath: programmePath))
        let arguments =
            [
                "worker", "--programme", programmePath, "--bootstrap", bootstrap, "--data", "\(data)/shards", "--exit-when-caught-up",
                "--log-level", "error", "--group", "bench",
            ] + (applyThreads.requested.map { ["--apply-threads", String($0)] } ?? [])
        let prefix = workerPrefix.split(separator: " ").map(String.init)
        if prefix.isEmpty {
            process.executableURL = executable
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = prefix + [executable.path] + arguments
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("the worker process exited with status \(process.terminationStatus)")
        }
        guard let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").last,
            let summary = try? JSONDecoder().decode(WorkerSummary.self, from: Data(line.utf8))
        else { throw CLIError("the worker printed no summary line") }
        return summary
    }

    private func runKcat(bootstrap: String, topic: String) throws -> (records: Int64, seconds: Double, cpuSeconds: Double?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "\n"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let childrenBefore = exitedChildrenCPUSeconds()
        let started = DispatchTime.now().uptimeNanoseconds
        do { try process.run() } catch {
            throw CLIError("kcat could not be started (apt-get install kcat): \(error)")
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let cpuSeconds = childrenBefore.flatMap { before in exitedChildrenCPUSeconds().map { $0 - before } }
        guard process.terminationStatus == 0 else {
            throw CLIError("kcat exited with status \(process.terminationStatus)")
        }
        return (Int64(bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }), seconds, cpuSeconds)
    }
}
