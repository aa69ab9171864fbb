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
/// real HTTP client: batch throughput, then wait=true redemption latency at a fixed rate.
struct BenchGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Batch throughput and wait=true redemption latency of the HTTP gateway.",
        discussion: """
            Hosts a mock cluster, --workers in-process accrual workers and a gateway on \
            127.0.0.1. (a) --clients concurrent clients each post --batches NDJSON batches \
            of --batch-size accruals to /v1/transactions/batch; the figure is accepted \
            lines per second over the whole phase. (b) After the workers caught up, \
            redemptions of 1 point with ?wait=true are offered open-loop at --rate per \
            second for --seconds; latency is measured from each request's scheduled \
            start (so a stall is not hidden) to its 200 answer. Build with -c release \
            to measure the real thing. Prints figures; asserts nothing.
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

    func run() async throws {
        let environment = try BenchEnvironment(data: data, partitions: partitions)
        let (logger, cluster, topics) = (environment.logger, environment.cluster, environment.topics)
        defer { cluster.shutdown() }
        let programme = Programme.sample

        var keys: [String: [PartnerCredentials.Key]] = [:]
        for partner in programme.partners { keys[partner.id] = [.init(keyId: "\(partner.id)-bench", secret: "bench-secret-\(partner.id)-0123456789")] }
        var configuration = GatewayConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.port = 0
        let gateway = try Gateway(configuration: configuration, programme: programme, credentials: try PartnerCredentials(keys), logger: logger)
        let group = ServiceGroup(services: gateway.services, logger: logger)
        let groupTask = Task { try await group.run() }
        let pool = WorkerPool(
            count: workers, bootstrapServers: cluster.bootstrapServers, dataDirectory: "\(data)/shards", programme: programme,
            groupId: "bench-workers", logger: logger
        ) {
            // Results are awaited by tills: no 500 ms empty-fetch wait (librdkafka's default).
            $0.kafkaExtra["fetch.wait.max.ms"] = "5"
        }

        let client = GatewayClient(base: try await GatewayClient.base(of: gateway))
        let signer = RequestSigner(keyId: "pharmacy-bench", secret: "bench-secret-pharmacy-0123456789")

        do {
            try await client.waitReady()
            print("gateway on \(client.base), \(partitions) partitions, \(workers) worker(s)")

            // (a) batch throughput
            print("(a) \(clients) clients × \(batches) batches × \(Format.grouped(Int64(batchSize))) accruals ...")
            let started = ContinuousClock.now
            let accepted = try await withThrowingTaskGroup(of: Int.self) { tasks in
                for c in 0..<clients {
                    tasks.addTask {
                        var total = 0
                        for b in 0..<batches {
                            var body: [UInt8] = []
                            body.reserveCapacity(batchSize * 200)
                            for i in 0..<batchSize {
                                let member = "bench-m-\((c * 7919 + b * 104_729 + i) % members)"
                                body += Array(
                                    #"{"partner_id":"pharmacy","partner_txn_id":"a-\#(c)-\#(b)-\#(i)","member_id":"\#(member)","occurred_at_ms":1790000000000,"accrual":{"amount_minor":10000,"currency":"EUR","category":"pharmacy"}}"#
                                        .utf8)
                                body.append(10)
                            }
                            let reply = try await client.post(
                                "/v1/transactions/batch", body: body, contentType: "application/x-ndjson", signer: signer)
                            total += reply.body.split(separator: "\n").filter { $0.contains("\"status\":\"accepted\"") }.count
                        }
                        return total
                    }
                }
                return try await tasks.reduce(0, +)
            }
            let batchSeconds = (ContinuousClock.now - started).seconds
            let offered = clients * batches * batchSize
            print(
                "    accepted \(Format.grouped(Int64(accepted))) of \(Format.grouped(Int64(offered))) in \(String(format: "%.2f", batchSeconds)) s = \(Format.grouped(Int64(Double(accepted) / batchSeconds))) tx/s   (target >= 50,000)"
            )

            print("    waiting for the workers to apply them ...")
            var ends: [Int32: Int64] = [:]
            for partition in 0..<partitions {
                ends[partition] = try KafkaAdmin.watermarks(
                    topic: topics.transactions, partition: partition, bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 10_000,
                    logger: logger
                ).high
            }
            try await pool.waitUntilApplied(ends.filter { $0.value > 0 }, timeoutSeconds: 600)

            // (b) wait=true redemption latency, open loop
            let count = rate * seconds
            print("(b) \(Format.grouped(Int64(count))) redemptions with wait=true at \(rate)/s open-loop ...")
            let interval = Duration.nanoseconds(1_000_000_000 / Int64(max(1, rate)))
            let phaseStart = ContinuousClock.now + .milliseconds(100)
            let outcomes = try await withThrowingTaskGroup(of: (Double, Bool).self) { tasks in
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
                        let ok = reply.status == 200 && reply.body.contains("\"status\":\"ACCEPTED\"")
                        return ((ContinuousClock.now - scheduled).seconds * 1000, ok)
                    }
                }
                var all: [(Double, Bool)] = []
                for try await outcome in tasks { all.append(outcome) }
                return all
            }
            let latencies = outcomes.map(\.0).sorted()
            let okCount = outcomes.filter(\.1).count
            func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            print(
                "    \(okCount) of \(count) ACCEPTED; latency p50 \(String(format: "%.1f", percentile(0.5))) ms, p99 \(String(format: "%.1f", percentile(0.99))) ms, max \(String(format: "%.1f", latencies.last ?? 0)) ms   (target p99 <= 25 ms)"
            )
            #if DEBUG
                print("note: this is a debug build; measure with `swift build -c release` and .build/release/loyalty bench gateway")
            #endif
        } catch {
            try? await client.shutdown()
            try? await pool.stop()
            await group.triggerGracefulShutdown()
            _ = try? await groupTask.value
            throw error
        }
        try await client.shutdown()
        try await pool.stop()
        await group.triggerGracefulShutdown()
        _ = try? await groupTask.value
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
