import ArgumentParser
import Foundation
import Kafka
import Logging
import LoyaltyWire
import Programme
import Simulation
import Worker

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput; prints figures, asserts nothing.",
        subcommands: [BenchWorker.self, BenchClearing.self, BenchGateway.self]
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
            SQLite with the offset, and publishes a result per record with acks=all.
            """
    )

    @Option(help: "Messages to fill the topic with.") var messages = 500_000
    @Option(help: "Partitions (the 2.0.2 mock keeps about 100,000 records or 5 MiB per partition).")
    var partitions: Int32 = 16
    @Option(help: "Members.") var members = 50_000
    @Option(help: "Working directory (wiped first).") var data = "var/bench-worker"
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

        print("filling \(topics.transactions) (\(partitions) partitions) with \(Format.grouped(Int64(messages))) messages ...")
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let feeder = Feeder(producer: producer)
        var settings = SyntheticCoalition.Settings()
        settings.members = members
        settings.transactions = messages
        settings.refundPerMille = 0
        settings.cancelPerMille = 0
        settings.repeatPerMille = 0
        settings.invalidPerMille = 0
        settings.redemptionPerMille = 300
        for transaction in SyntheticCoalition(programme: programme, settings: settings) {
            let value: [UInt8] = try Loyalty_V1_TransactionEnvelope(transaction).serializedBytes()
            feeder.send(ProducerRecord(topic: topics.transactions, partition: nil, key: Array(transaction.memberId.utf8), value: value))
        }
        try feeder.drain(timeoutMilliseconds: 120_000)
        producer.shutdown()
        let filled = feeder.snapshot
        guard filled.failed == 0, filled.acknowledged == messages else {
            throw CLIError("filling failed: \(filled.acknowledged) acknowledged, \(filled.failed) failed: \(filled.firstFailure ?? "")")
        }

        let worker = try runWorker(bootstrap: cluster.bootstrapServers)
        let kcat = try runKcat(bootstrap: cluster.bootstrapServers, topic: topics.transactions)
        let workerRate = Double(worker.records) / worker.activeSeconds
        let kcatRate = Double(kcat.records) / kcat.seconds
        print("")
        print(Format.table([
            ["consumer", "records", "seconds", "records/s"],
            ["loyalty worker (1 process)", Format.grouped(worker.records), String(format: "%.2f", worker.activeSeconds), Format.grouped(Int64(workerRate))],
            ["kcat -C (raw consume)", Format.grouped(kcat.records), String(format: "%.2f", kcat.seconds), Format.grouped(Int64(kcatRate))],
        ]))
        print("")
        print("worker / kcat = \(String(format: "%.2f", workerRate / kcatRate))   (targets: worker >= 100,000 records/s, ratio >= 0.50)")
        if let cpu = worker.cpuSeconds, worker.records > 0 {
            // Steadier than the rate on a shared machine, and what a faster worker must cut.
            print(
                "worker CPU \(String(format: "%.2f", cpu)) s (user + system, whole process) = "
                    + "\(String(format: "%.1f", cpu / Double(worker.records) * 1e6)) µs per record; "
                    + "\(String(format: "%.1f", cpu / worker.activeSeconds)) of \(ProcessInfo.processInfo.activeProcessorCount) cores while applying")
        }
        #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and .build/release/loyalty bench worker")
        #endif
    }

    private func runWorker(bootstrap: String) throws -> WorkerSummary {
        let process = Process()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let arguments = [
            "worker", "--bootstrap", bootstrap, "--data", "\(data)/shards", "--exit-when-caught-up",
            "--log-level", "error", "--group", "bench",
        ]
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

    private func runKcat(bootstrap: String, topic: String) throws -> (records: Int64, seconds: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "\n"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let started = DispatchTime.now().uptimeNanoseconds
        do { try process.run() } catch {
            throw CLIError("kcat could not be started (apt-get install kcat): \(error)")
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        guard process.terminationStatus == 0 else {
            throw CLIError("kcat exited with status \(process.terminationStatus)")
        }
        return (Int64(bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }), seconds)
    }
}
