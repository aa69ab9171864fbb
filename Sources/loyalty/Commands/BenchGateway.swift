import ArgumentParser
import Foundation
import Gateway
import Kafka
import Logging
import LoyaltyWire
import Programme
import ServiceLifecycle
import Worker

/// The gateway on loopback with an embedded cluster and in-process workers, driven by a
/// real HTTP client: batch throughput (gateway alone, then with a worker applying on the
/// same cores), then wait=true redemption latency at a fixed rate.
struct BenchGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Batch throughput and wait=true redemption latency of the HTTP gateway.",
        discussion: """
            Hosts a mock cluster, the gateway on 127.0.0.1, an AsyncHTTPClient client and \
            --workers accrual workers, all in this one process.

            (a) --clients concurrent clients each post --batches NDJSON batches of \
            --batch-size accruals to /v1/transactions/batch; the figure is accepted lines \
            per second over the whole phase. The request bodies are built and signed before \
            the clock starts and the answers are checked after it stops (client-side work \
            is not gateway work). \
            It runs twice: first with no worker running, which is the gateway's own figure \
            (in production the gateway has its own node), then, labelled as such, the same \
            load again while the worker applies everything (it competes for the same cores). \
            (b) After the workers caught up, redemptions of 1 point with ?wait=true are \
            offered open-loop at --rate per second for --seconds; latency is measured from \
            each request's scheduled start (so a stall is not hidden) to its 200 answer.

            The workers run with settings for a latency-sensitive deployment (see \
            docs/operations.md): results produced with linger.ms=0. Consumers (workers and \
            the gateway's results listener) use fetch.wait.max.ms=1: the mock broker holds \
            every fetch that long even when records arrive, which Kafka does not. \
            Build with -c release to measure the real thing. Prints figures; asserts nothing.
            """
    )

    @Option(help: "Concurrent batch clients.") var clients = 4
    @Option(help: "Batches per client.") var batches = 10
    @Option(help: "Transactions per batch.") var batchSize = 5_000
    @Option(help: "Redemptions per second offered in phase (b).") var rate = 500
    @Option(help: "Seconds of phase (b).") var seconds = 10
    @Option(help: "In-process accrual workers.") var workers = 1
    @Option(help: "Partitions.") var partitions: Int32 = 16
    @Option(help: "Members.") var members = 20_000
    @Option(help: "Working directory (wiped first).") var data = "var/bench-gateway"
    @OptionGroup var output: BenchJSONOption

    func run() async throws {
        let figures = BenchFigures(bench: "gateway", output)
        let environment = try BenchEnvironment(data: data, partitions: partitions)
        let (logger, cluster, topics) = (environment.logger, environment.cluster, environment.topics)
        defer { cluster.shutdown() }
        let programme = Programme.sample

        var keys: [String: [PartnerCredentials.Key]] = [:]
        for partner in programme.partners {
            keys[partner.id] = [.init(keyId: "\(partner.id)-bench", secret: "bench-secret-\(partner.id)-0123456789")]
        }
        var configuration = GatewayConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.port = 0
        configuration.resultsFetchWaitMilliseconds = Self.mockFetchWaitMilliseconds
        // The bench measures capacity, not the per-partner quotas (a partner's default
        // request quota is below phase (b)'s higher rates); every client is one address.
        configuration.requestsPerSecond = 0
        configuration.transactionsPerSecond = 0
        configuration.maxConnectionsPerClient = configuration.maxConnections
        let gateway = try Gateway(configuration: configuration, programme: programme, credentials: try PartnerCredentials(keys), logger: logger)
        let group = ServiceGroup(services: gateway.services, logger: logger)
        let groupTask = Task { try await group.run() }
        let client = GatewayClient(base: try await GatewayClient.base(of: gateway))
        var pool: WorkerPool?

        do {
            try await client.waitReady()
            print("gateway on \(client.base), \(partitions) partitions, \(workers) worker(s)")
            let load = "\(clients) clients × \(batches) batches × \(Format.grouped(Int64(batchSize))) accruals"

            // (a) batch throughput, first with nothing else applying.
            print("(a) \(load), no worker running (the gateway's own figure) ...")
            let alone = try await batchPhase(client, tag: "a")
            print("    \(alone.text)   (target >= 50,000)")
            figures.set("batch_transactions_per_second", alone.rate.rounded())

            let rounds = RoundLog()
            let started = WorkerPool(
                count: workers, bootstrapServers: cluster.bootstrapServers, dataDirectory: "\(data)/shards", programme: programme,
                groupId: "bench-workers", logger: logger
            ) {
                Self.latencySensitive(&$0)
                $0.roundObserver = { timing in rounds.record(timing) }
            }
            pool = started
            // Joining the group takes the workers a few seconds; (a') must not be over by then.
            while started.recordsApplied == 0 { try await Task.sleep(for: .milliseconds(20)) }
            print("(a') \(load) again, while \(workers) in-process worker(s) apply (a) and this on the same cores ...")
            let shared = try await batchPhase(client, tag: "w", applied: { started.recordsApplied })
            print("    \(shared.text)   (not the gateway's figure: the worker competes for the cores)")
            figures.set("batch_with_workers_transactions_per_second", shared.rate.rounded())

            print("    waiting for the workers to apply them ...")
            var ends: [Int32: Int64] = [:]
            for partition in 0..<partitions {
                ends[partition] = try KafkaAdmin.watermarks(
                    topic: topics.transactions, partition: partition, bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 10_000,
                    logger: logger
                ).high
            }
            try await started.waitUntilApplied(ends.filter { $0.value > 0 }, timeoutSeconds: 600)

            rounds.start()
            let samples = try await latencyPhase(client, figures)
            Self.reportTail(samples, rounds.stop(), figures)
            #if DEBUG
                print("note: this is a debug build; measure with `swift build -c release` and .build/release/loyalty bench gateway")
            #endif
        } catch {
            try? await client.shutdown()
            try? await pool?.stop()
            await group.triggerGracefulShutdown()
            _ = try? await groupTask.value
            throw error
        }
        try await client.shutdown()
        try await pool?.stop()
        await group.triggerGracefulShutdown()
        _ = try? await groupTask.value
        try figures.finish()
    }

    /// librdkafka's mock broker holds every fetch for fetch.wait.max.ms even when records
    /// arrive meanwhile (Kafka answers as soon as they do), so on the mock each consumer hop
    /// costs half of it on average; 1 ms brings the mock close to Kafka's behaviour.
    static let mockFetchWaitMilliseconds = 1

    /// Worker settings of a latency-sensitive deployment (docs/operations.md): results go
    /// out without lingering, and the mock's fetch wait is kept short (see
    /// `mockFetchWaitMilliseconds`).
    static func latencySensitive(_ configuration: inout WorkerConfiguration) {
        configuration.fetchWaitMilliseconds = mockFetchWaitMilliseconds
        configuration.resultsLingerMilliseconds = 0
    }

    /// Posts every client's batches (built and signed before the clock) and returns the figure
    /// line; with `applied`, also how many records the workers applied meanwhile.
    /// The phase's report line, and its rate (accepted transactions per second).
    private func batchPhase(
        _ client: GatewayClient, tag: String, applied: (@Sendable () -> Int64)? = nil
    ) async throws -> (text: String, rate: Double) {
        let signer = RequestSigner(keyId: "pharmacy-bench", secret: "bench-secret-pharmacy-0123456789")
        let path = "/v1/transactions/batch"
        // Bodies and their signatures are made before the clock: the figure is the gateway's.
        let requests = (0..<clients).map { c in
            (0..<batches).map { b in
                let body = batchBody(tag: tag, client: c, batch: b)
                return (body: body, signature: signer.headers(method: "POST", pathAndQuery: path, body: body))
            }
        }
        let appliedBefore = applied?() ?? 0
        let started = ContinuousClock.now
        let replies = try await withThrowingTaskGroup(of: [GatewayClient.Reply].self) { tasks in
            for c in 0..<clients {
                tasks.addTask {
                    var replies: [GatewayClient.Reply] = []
                    for request in requests[c] {
                        replies.append(
                            try await client.post(path, body: request.body, contentType: "application/x-ndjson", signature: request.signature))
                    }
                    return replies
                }
            }
            return try await tasks.reduce(into: []) { $0 += $1 }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let appliedMeanwhile = (applied?() ?? 0) - appliedBefore
        let accepted = replies.reduce(0) { $0 + Self.acceptedLines($1) }
        let offered = clients * batches * batchSize
        let rate = Double(accepted) / elapsed
        let text =
            "accepted \(Format.grouped(Int64(accepted))) of \(Format.grouped(Int64(offered))) in \(String(format: "%.2f", elapsed)) s = "
            + "\(Format.grouped(Int64(rate))) tx/s"
            + (applied == nil ? "" : "; the workers applied \(Format.grouped(appliedMeanwhile)) records meanwhile")
        return (text, rate)
    }

    private func batchBody(tag: String, client c: Int, batch b: Int) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(batchSize * 200)
        for i in 0..<batchSize {
            let member = "bench-m-\((c * 7919 + b * 104_729 + i) % members)"
            body += Array(
                #"{"partner_id":"pharmacy","partner_txn_id":"\#(tag)-\#(c)-\#(b)-\#(i)","member_id":"\#(member)","occurred_at_ms":1790000000000,"accrual":{"amount_minor":10000,"currency":"EUR","category":"pharmacy"}}"#
                    .utf8)
            body.append(10)
        }
        return body
    }

    /// Status lines answered `accepted` in a batch answer (0 unless the status is 200).
    static func acceptedLines(_ reply: GatewayClient.Reply) -> Int {
        guard reply.status == 200 else { return 0 }
        // Each status line holds at most one; byte search (String.contains went through
        // Foundation and took about as long as the phase itself).
        let needle = Array("\"status\":\"accepted\"".utf8)
        var body = reply.body
        return body.withUTF8 { bytes in
            var count = 0
            var index = 0
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0], needle.indices.allSatisfy({ bytes[index + $0] == needle[$0] }) {
                    count += 1
                    index += needle.count
                } else {
                    index += 1
                }
            }
            return count
        }
    }

    /// (b) wait=true redemption latency, open loop.
    private func latencyPhase(_ client: GatewayClient, _ figures: BenchFigures) async throws -> [Sample] {
        let signer = RequestSigner(keyId: "pharmacy-bench", secret: "bench-secret-pharmacy-0123456789")
        let count = rate * seconds
        print("(b) \(Format.grouped(Int64(count))) redemptions with wait=true at \(rate)/s open-loop ...")
        let interval = Duration.nanoseconds(1_000_000_000 / Int64(max(1, rate)))
        let phaseStart = ContinuousClock.now + .milliseconds(100)
        let samples = try await withThrowingTaskGroup(of: Sample.self) { tasks in
            for i in 0..<count {
                let scheduled = phaseStart + interval * i
                try await Task.sleep(until: scheduled, clock: .continuous)
                tasks.addTask {
                    // A member that received accruals in (a): client i % clients, batch 0.
                    let member = "bench-m-\(((i % clients) * 7919 + (i * 31) % batchSize) % members)"
                    let body = Array(
                        #"{"partner_id":"pharmacy","partner_txn_id":"r-\#(i)","member_id":"\#(member)","occurred_at_ms":1790000000000,"redemption":{"points":1}}"#
                            .utf8)
                    let reply = try await client.post(
                        "/v1/transactions?wait=true&timeout_ms=5000", body: body, contentType: "application/json", signer: signer)
                    let answered = ContinuousClock.now
                    let ok = reply.status == 200 && reply.body.contains("\"status\":\"ACCEPTED\"")
                    let (partition, offset) = Self.position(reply.body)
                    return Sample(scheduled: scheduled, answered: answered, partition: partition, offset: offset, ok: ok)
                }
            }
            var all: [Sample] = []
            for try await sample in tasks { all.append(sample) }
            return all
        }
        let latencies = samples.map(\.milliseconds).sorted()
        let okCount = samples.filter(\.ok).count
        func percentile(_ p: Double) -> Double { Self.percentile(latencies, p) }
        print(
            "    \(okCount) of \(count) ACCEPTED; latency p50 \(String(format: "%.1f", percentile(0.5))) ms, p99 \(String(format: "%.1f", percentile(0.99))) ms, max \(String(format: "%.1f", latencies.last ?? 0)) ms   (target p99 <= 25 ms)"
        )
        figures.set("latency_accepted", okCount)
        figures.set("latency_offered", count)
        figures.set("latency_p50_ms", (percentile(0.5) * 10).rounded() / 10)
        figures.set("latency_p99_ms", (percentile(0.99) * 10).rounded() / 10)
        figures.set("latency_max_ms", ((latencies.last ?? 0) * 10).rounded() / 10)
        return samples
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
