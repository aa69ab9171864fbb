import ClearingNode
import Foundation
import Kafka
import LoyaltyTesting
import LoyaltyWire
import NodeRuntime
import Programme
import SettlementFiles
import Testing
import Worker

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real worker and a real clearing node, each with its observability endpoint on an
/// ephemeral port: every metric name of the contract is exposed, the figures agree with
/// the traffic, /health and /ready answer as documented, and the offsets committed to
/// Kafka (the monitoring hint) equal the shards' own.
@Suite("Worker and clearing node metrics and health", .timeLimit(.minutes(10)))
struct ObservabilityTests {
    static let workerMetricNames = [
        "loyalty_worker_consumed_total", "loyalty_worker_applied_total", "loyalty_worker_rejected_total",
        "loyalty_worker_dead_lettered_total", "loyalty_worker_batch_size", "loyalty_worker_apply_latency_seconds",
        "loyalty_worker_consumer_lag", "loyalty_worker_assigned_partitions", "loyalty_worker_shard_file_bytes",
        "loyalty_worker_shard_wal_bytes", "loyalty_worker_commit_checkpoints_total",
        "loyalty_worker_positions_published_total", "loyalty_worker_producer_queue_depth", "loyalty_worker_delivery_errors_total",
        "loyalty_worker_hot_cycles", "loyalty_worker_archive_overdue_cycles", "loyalty_worker_archive_age_seconds",
        "loyalty_worker_snapshots_total", "loyalty_worker_snapshot_behind_seconds",
    ]
    static let clearingMetricNames = [
        "loyalty_clearing_positions_received_total", "loyalty_clearing_cycles", "loyalty_clearing_open_cycle_age_seconds",
        "loyalty_clearing_last_settled_cycle", "loyalty_clearing_settlement_files_total", "loyalty_clearing_instruction_events_total",
        "loyalty_clearing_producer_queue_depth", "loyalty_clearing_delivery_errors_total",
    ]

    @Test("every metric is exposed, applied and lag agree with the traffic, probes answer, committed offsets equal the shards'")
    func workerAndClearingNode() async throws {
        let test = try TestCluster(partitions: 3)
        var configuration = WorkerConfiguration(bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("shards"))
        configuration.fetchWaitMilliseconds = 5
        configuration.snapshotDirectory = test.dataDirectory("snapshots")
        let worker = AccrualWorker(configuration: configuration, programme: .sample, logger: test.logger)
        let workerServer = worker.observabilityServer(host: "127.0.0.1", port: 0, readyMaxLag: 10, logger: test.logger)
        let workerServerTask = Task { try await workerServer.run() }
        let workerPort = try await Self.boundPort(workerServer)

        // Not running yet: alive (starting) but holds no partition.
        #expect(try await Self.get(workerPort, "/health").status == 200)
        let notReady = try await Self.get(workerPort, "/ready")
        #expect(notReady.status == 503 && notReady.body.contains("no partition assigned yet"), "\(notReady.body)")

        let key = SigningKeyFile.generate()
        let clearing = ClearingNode(
            configuration: ClearingConfiguration(
                bootstrapServers: test.bootstrap, statePath: test.dataDirectory("clearing/state.sqlite"),
                outputDirectory: test.dataDirectory("settlement")),
            programme: .sample, signingKey: key, logger: test.logger)
        let clearingServer = clearing.observabilityServer(host: "127.0.0.1", port: 0, logger: test.logger)
        let clearingServerTask = Task { try await clearingServer.run() }
        let clearingPort = try await Self.boundPort(clearingServer)
        #expect(try await Self.get(clearingPort, "/ready").status == 503)

        let workerTask = Task { try await worker.run() }
        let clearingTask = Task { try await clearing.run() }
        let transactions = syntheticTransactions(600, members: 200, seed: 12)
        let ends = try test.produce(transactions)
        try await Self.waitUntil("worker applied everything") {
            let applied = worker.progress.snapshot.partitions.mapValues(\.nextOffset)
            return ends.allSatisfy { applied[$0.key] == $0.value }
        }
        // The gauges and the readiness state follow within a second.
        try await Self.waitUntil("worker ready") { try await Self.get(workerPort, "/ready").status == 200 }
        try await Self.waitUntil("lag 0 on every partition") {
            let lags = Self.samples(try await Self.get(workerPort, "/metrics").body, "loyalty_worker_consumer_lag")
            return lags.count == 3 && lags.values.allSatisfy { $0 == 0 }
        }
        let workerText = try await Self.get(workerPort, "/metrics").body
        for name in Self.workerMetricNames { #expect(workerText.contains("\n\(name)"), "\(name) missing") }
        #expect(Self.samples(workerText, "loyalty_worker_applied_total").values.reduce(0, +) == Double(transactions.count))
        #expect(Self.samples(workerText, "loyalty_worker_consumed_total").values.reduce(0, +) == Double(transactions.count))
        #expect(Self.samples(workerText, "loyalty_worker_assigned_partitions").values.first == 3)
        let fileBytes = Self.samples(workerText, "loyalty_worker_shard_file_bytes")
        #expect(fileBytes.values.allSatisfy { $0 > 0 })
        // What a shard's WAL holds: written to by every shard that committed, and within the
        // file and WAL together.
        let walBytes = Self.samples(workerText, "loyalty_worker_shard_wal_bytes")
        #expect(walBytes.count == 3 && walBytes.values.allSatisfy { $0 > 0 })
        for (series, bytes) in walBytes { #expect(bytes <= fileBytes[series] ?? 0, "\(series)") }
        // Far under the backstop (64 MiB of WAL): no writer checkpointed inside a COMMIT.
        let commitCheckpoints = Self.samples(workerText, "loyalty_worker_commit_checkpoints_total")
        #expect(commitCheckpoints.count == 3 && commitCheckpoints.values.allSatisfy { $0 == 0 })
        // Refusals by wire reason code, as the results topic has them.
        var refused: [String: Double] = [:]
        for result in try test.results(atLeast: transactions.count) where result.outcome.status == .rejected {
            refused[RejectReason(result.outcome.reason)?.rawValue ?? "\(result.outcome.reason)", default: 0] += 1
        }
        var counted: [String: Double] = [:]
        for (labels, value) in Self.samples(workerText, "loyalty_worker_rejected_total") where value > 0 {
            let reason = labels.split(separator: "reason=\"").last.map { String($0.dropLast(2)) } ?? labels
            counted[reason, default: 0] += value
        }
        #expect(!refused.isEmpty, "the traffic has refusals")
        #expect(counted == refused)
        #expect(try await Self.get(workerPort, "/health").status == 200)

        // The monitoring hint: what `kafka-consumer-groups --describe` reads.
        let shardOffsets = worker.progress.snapshot.partitions.mapValues(\.nextOffset)
        try await Self.waitUntil("committed offsets equal the shards'") {
            let committed = try KafkaConsumer.committedOffsets(
                configuration: ConsumerConfiguration(
                    bootstrapServers: test.bootstrap, groupId: configuration.groupId, topics: [test.topics.transactions]),
                (0..<3).map { TopicPartition(topic: test.topics.transactions, partition: $0) }, timeoutMilliseconds: 5_000,
                logger: test.logger)
            return Dictionary(uniqueKeysWithValues: committed.map { ($0.key.partition, $0.value) }) == shardOffsets
        }

        try await Self.waitUntil("clearing node ready") { try await Self.get(clearingPort, "/ready").status == 200 }
        clearing.requestClose()
        let settled = try await clearing.waitUntilSettled(1)
        try await Self.waitUntil("cycle 1 counted as settled") {
            Self.samples(try await Self.get(clearingPort, "/metrics").body, "loyalty_clearing_last_settled_cycle").values.first == 1
        }
        let clearingText = try await Self.get(clearingPort, "/metrics").body
        for name in Self.clearingMetricNames { #expect(clearingText.contains("\n\(name)"), "\(name) missing") }
        let cycles = Self.samples(clearingText, "loyalty_clearing_cycles")
        #expect(cycles == ["{state=\"CLOSING\"}": 0, "{state=\"SETTLING\"}": 0, "{state=\"SETTLED\"}": 1, "{state=\"FAILED\"}": 0])
        #expect(Self.samples(clearingText, "loyalty_clearing_positions_received_total").values.first == 3)
        let published = Self.samples(try await Self.get(workerPort, "/metrics").body, "loyalty_worker_positions_published_total")
        #expect(published.values.reduce(0, +) == 3, "\(published)")
        // Each shard sealed one cycle, which stays hot (its rows are younger than the
        // archive age), and took a snapshot after it: nothing behind, nothing failed.
        try await Self.waitUntil("one hot cycle and a stored snapshot on every partition") {
            let text = try await Self.get(workerPort, "/metrics").body
            let stored = Self.samples(text, "loyalty_worker_snapshots_total").filter { $0.key.contains("result=\"stored\"") }
            return Self.samples(text, "loyalty_worker_hot_cycles").values.sorted() == [1, 1, 1]
                && stored.count == 3 && stored.values.allSatisfy { $0 >= 1 }
                && Self.samples(text, "loyalty_worker_snapshot_behind_seconds").values.sorted() == [0, 0, 0]
        }
        let archiveText = try await Self.get(workerPort, "/metrics").body
        #expect(Self.samples(archiveText, "loyalty_worker_archive_overdue_cycles").values.sorted() == [0, 0, 0])
        let age = Double((Programme.sample.archiveAgeMilliseconds ?? 0) / 1_000)
        #expect(Self.samples(archiveText, "loyalty_worker_archive_age_seconds").values.sorted() == [age, age, age])
        let failed = Self.samples(archiveText, "loyalty_worker_snapshots_total").filter { $0.key.contains("result=\"failed\"") }
        #expect(failed.count == 3 && failed.values.allSatisfy { $0 == 0 }, "\(failed)")
        #expect(Self.samples(clearingText, "loyalty_clearing_open_cycle_age_seconds").values.first == 0)
        #expect(Self.samples(clearingText, "loyalty_clearing_settlement_files_total").values.first ?? 0 >= 4)
        #expect(
            Self.samples(clearingText, "loyalty_clearing_instruction_events_total").values.first
                == Double(settled.instructionCount ?? -1))

        worker.requestStop()
        try await workerTask.value
        let stopped = try await Self.get(workerPort, "/health")
        #expect(stopped.status == 503 && stopped.body.contains("worker loop stopped"), "\(stopped.body)")
        #expect(try await Self.get(workerPort, "/ready").status == 503)
        clearing.requestStop()
        try await clearingTask.value
        #expect(try await Self.get(clearingPort, "/health").status == 503)
        workerServerTask.cancel()
        clearingServerTask.cancel()
        _ = await (workerServerTask.result, clearingServerTask.result)
    }

    @Test("a worker further behind than --ready-max-lag is not ready, says which partition, and shows the lag")
    func laggingWorkerIsNotReady() async throws {
        let test = try TestCluster(partitions: 1)
        let ends = try test.produce(syntheticTransactions(50, members: 20, seed: 5))
        try #require(ends == [0: 50])
        var configuration = WorkerConfiguration(bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("shards"))
        configuration.fetchWaitMilliseconds = 5
        configuration.stopOffsets = [0: 10]  // applies 10 of the 50 records: 40 behind for good
        let worker = AccrualWorker(configuration: configuration, programme: .sample, logger: test.logger)
        let server = worker.observabilityServer(host: "127.0.0.1", port: 0, readyMaxLag: 10, logger: test.logger)
        let serverTask = Task { try await server.run() }
        let port = try await Self.boundPort(server)
        let workerTask = Task { try await worker.run() }
        try await Self.waitUntil("10 records applied") { worker.progress.snapshot.partitions[0]?.nextOffset == 10 }
        try await Self.waitUntil("lag seen") {
            Self.samples(try await Self.get(port, "/metrics").body, "loyalty_worker_consumer_lag") == ["{partition=\"0\"}": 40]
        }
        let ready = try await Self.get(port, "/ready")
        #expect(ready.status == 503 && ready.body.contains("partition 0: lag 40 > 10"), "\(ready.body)")
        #expect(try await Self.get(port, "/health").status == 200)
        worker.requestStop()
        try await workerTask.value
        serverTask.cancel()
        _ = await serverTask.result
    }

    /// The gateway's two producer figures (its other metrics are GatewayTests' business).
    @Test("the gateway exposes its producers' queue depth and delivery errors")
    func gatewayProducerFigures() async throws {
        let harness = try await GatewayHarness(partitions: 1)
        let signer = try #require(harness.signers["pharmacy"])
        let accepted = try await harness.send(
            "POST", "/v1/transactions", body: accrualJSON(partner: "pharmacy", txn: "t-1", member: "m-1"),
            contentType: "application/json", signer: signer)
        #expect(accepted.status == 202, "\(accepted.body)")
        let text = try await harness.send("GET", "/metrics", signer: nil).body
        await harness.stop()
        #expect(Self.samples(text, "loyalty_gateway_producer_queue_depth") == ["": 0])
        #expect(Self.samples(text, "loyalty_gateway_delivery_errors_total") == ["": 0])
        #expect(Self.samples(text, "loyalty_gateway_published_total") == ["": 1])
    }

    @Test("ready needs a partition, none stopped, every end known and every lag within the limit")
    func readinessRules() {
        #expect(WorkerMetrics.readiness(nil, maxLag: 10).ok == false)
        #expect(WorkerMetrics.readiness([:], maxLag: 10).ok == false)
        #expect(WorkerMetrics.readiness([0: .lag(10), 1: .lag(0)], maxLag: 10) == .up("2 partitions assigned, highest lag 10"))
        #expect(WorkerMetrics.readiness([0: .lag(10), 1: .lag(11)], maxLag: 10) == .down("partition 1: lag 11 > 10 (--ready-max-lag)"))
        #expect(WorkerMetrics.readiness([0: .lag(0), 1: .unknownEnd], maxLag: 10) == .down("partition 1: end offset not known yet"))
        #expect(WorkerMetrics.readiness([3: .stopped("disk full")], maxLag: 10) == .down("partition 3 stopped: disk full"))
        // A loop busy with one round for minutes (Kafka unreachable while publishing) is not ready.
        #expect(WorkerMetrics.readiness([0: .lag(0)], maxLag: 10, lookAgeSeconds: WorkerMetrics.staleAfterSeconds).ok)
        let stale = WorkerMetrics.readiness([0: .lag(0)], maxLag: 10, lookAgeSeconds: WorkerMetrics.staleAfterSeconds + 1)
        #expect(!stale.ok && stale.reason.hasPrefix("the worker loop has not looked at its partitions for 121 s"), "\(stale.reason)")
    }

    @Test("probe bodies are JSON whatever the reason says")
    func probeBodies() throws {
        let answer = ProbeAnswer.down("shard \"a\\b\"\nfailed\u{1}")
        let decoded = try JSONSerialization.jsonObject(with: Data(answer.json.utf8)) as? [String: String]
        #expect(decoded == ["status": "down", "reason": "shard \"a\\b\"\nfailed\u{1}"])
        #expect(answer.statusCode == 503 && ProbeAnswer.up("ok").statusCode == 200)
        #expect(ObservabilityServer.problem(port: 65_536) == "--metrics-port 65536: must be 0 (any free port) to 65535")
        #expect(ObservabilityServer.problem(port: 0) == nil)
    }

    // MARK: - Helpers

    static func boundPort(_ server: ObservabilityServer) async throws -> Int {
        try await waitUntil("observability endpoint listening") { server.boundPort != 0 }
        return server.boundPort
    }

    static func get(_ port: Int, _ path: String) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Samples of `name` in Prometheus text: labels (`{...}` or "") → value.
    static func samples(_ text: String, _ name: String) -> [String: Double] {
        var found: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " " else { continue }
            let parts = rest.split(separator: " ")
            guard let value = parts.last.flatMap({ Double($0) }) else { continue }
            found[parts.count > 1 ? String(parts[0]) : ""] = value
        }
        return found
    }

    static func waitUntil(_ what: String, seconds: Double = 180, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out: \(what)")
        throw CancellationError()
    }
}
