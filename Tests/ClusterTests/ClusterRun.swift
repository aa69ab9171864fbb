import AsyncHTTPClient
import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import LoyaltyWire
import NIOCore
import NIOHTTP1
import Programme
import Testing
import Worker

@testable import ClearingNode

/// One cluster as ops run it: the brokers (librdkafka's mock cluster, hosted by the test
/// process the way `loyalty broker` hosts it) and the gateway, the workers and the
/// clearing node as `loyalty` processes, each with its log under `<directory>/logs`.
final class ClusterRun: @unchecked Sendable {  // driven by one test task; the names a sampler reads are behind `lock`
    /// The workers' default: a killed worker's partitions wait this long for a new owner.
    static let sessionTimeoutMilliseconds = 6_000
    static let graceSeconds = 20.0
    let kafka: TestCluster
    let partners: [String]
    let programmePath: String
    let keyPath: String
    var logs: String { kafka.dataDirectory("logs") }
    var statePath: String { kafka.dataDirectory("clearing/state.sqlite") }
    var settlementDirectory: String { kafka.dataDirectory("settlement") }
    private(set) var traffic: GatewayTraffic?
    private(set) var gateway: NodeProcess?
    private(set) var clearing: NodeProcess?
    private(set) var workers: [String: NodeProcess] = [:]
    private let lock = NSLock()
    private var names: [String] = []
    /// Every worker name ever started (their data directories stay).
    var workerNames: [String] { lock.withLock { names } }

    /// `keyPath`: the operator's signing key (the same for runs whose files are compared).
    init(label: String, partitions: Int32, partners: [String], keyPath: String) throws {
        kafka = try TestCluster(partitions: partitions, label: label)
        self.partners = partners
        self.keyPath = keyPath
        programmePath = kafka.dataDirectory("programme.json")
        try FileManager.default.createDirectory(atPath: kafka.dataDirectory("clearing"), withIntermediateDirectories: true)
        try Programme.sampleJSON.write(toFile: programmePath, atomically: true, encoding: .utf8)
    }

    deinit {
        for node in [gateway, clearing].compactMap({ $0 }) + Array(workers.values) where node.isRunning {
            _ = kill(node.pid, SIGKILL)
        }
    }

    private var common: [String] { ["--bootstrap", kafka.bootstrap, "--programme", programmePath, "--log-level", "info"] }

    /// `--metrics-port 0` where the binary has the flag: several nodes on one machine must
    /// not all take the default port.
    static let observability: (worker: [String], clearing: [String]) = {
        func flags(_ subcommand: [String]) -> [String] {
            let process = Process()
            let pipe = Pipe()
            process.executableURL = try? URL(fileURLWithPath: loyaltyExecutable())
            process.arguments = subcommand + ["--help"]
            process.standardOutput = pipe
            guard (try? process.run()) != nil else { return [] }
            let help = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return help.contains("--metrics-port") ? ["--metrics-host", "127.0.0.1", "--metrics-port", "0"] : []
        }
        return (flags(["worker"]), flags(["clearing", "run"]))
    }()

    /// Starts the gateway on a free port and waits until it answers /ready.
    func startGateway() async throws {
        let secrets = kafka.dataDirectory("gateway-secrets.json")
        try GatewayTraffic.writeSecretsFile(for: partners, to: secrets)
        let node = try NodeProcess("gateway", ["gateway", "--secrets", secrets, "--port", "0"] + common, logs: logs)
        gateway = node
        let port = try #require(Int(try await node.waitForLog(#"listening on [^\s:"]+:(\d+)"#)))
        traffic = GatewayTraffic(port: port, partners: partners)
        let ready = try await pollAsync(timeoutSeconds: 60) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready")
            request.method = .GET
            return (try? await HTTPClient.shared.execute(request, timeout: .seconds(5)))?.status.code == 200
        }
        try #require(ready, "the gateway answers /ready")
    }

    func workerData(_ name: String) -> String { kafka.dataDirectory("workers/\(name)") }

    /// Starts a worker of the group with its own (possibly empty) data directory.
    @discardableResult
    func startWorker(_ name: String, sessionTimeoutMilliseconds: Int = sessionTimeoutMilliseconds) throws -> NodeProcess {
        let node = try NodeProcess(
            name,
            [
                "worker", "--data", workerData(name), "--group", "cluster", "--session-timeout-ms", "\(sessionTimeoutMilliseconds)",
                "--max-batch", "500", "--fetch-wait-ms", "5", "--apply-threads", "1",
            ] + Self.observability.worker + common,
            logs: logs)
        workers[name] = node
        lock.withLock { if !names.contains(name) { names.append(name) } }
        return node
    }

    func forget(worker name: String) { workers[name] = nil }

    func startClearing() throws {
        clearing = try NodeProcess(
            "clearing",
            ["clearing", "run", "--state", statePath, "--out", settlementDirectory, "--key", keyPath] + Self.observability.clearing + common,
            logs: logs)
    }

    /// Per partition, the next offset a worker's shard file would apply (0: none yet).
    func applied(by name: String) -> [Int32: Int64] {
        var result: [Int32: Int64] = [:]
        for partition in 0..<kafka.partitions {
            let path = WorkerConfiguration.shardPath(dataDirectory: workerData(name), partition: partition)
            guard FileManager.default.fileExists(atPath: path),
                let shard = try? Shard(path: path, partition: partition, programme: .sample)
            else { continue }
            result[partition] = (try? shard.nextOffset()) ?? 0
            shard.close()
        }
        return result
    }

    /// Per partition, the furthest any worker got.
    func applied() -> [Int32: Int64] {
        var result: [Int32: Int64] = [:]
        for name in workerNames { result.merge(applied(by: name)) { max($0, $1) } }
        return result
    }

    /// Records acknowledged (transactions and barriers) that no worker has applied yet.
    func lag() -> Int64 {
        guard let ends = traffic?.acknowledged.ends else { return 0 }
        let applied = applied()
        return ends.reduce(0) { $0 + max(0, $1.value - (applied[$1.key] ?? 0)) }
    }

    /// Closes the next cycle as `loyalty clearing close` does, but at a given close time, so
    /// that two runs write the same barriers and so the same settlement files.
    @discardableResult
    func closeCycle(closedAtMilliseconds: Int64) throws -> CycleRecord {
        let store = try ClearingStore(path: statePath)
        defer { store.close() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: kafka.bootstrap), logger: kafka.logger)
        defer { producer.shutdown() }
        let record = try CycleCloser(store: store, producer: producer, topics: kafka.topics).closeNext(nowMilliseconds: closedAtMilliseconds)
        traffic?.appendedToEveryPartition(kafka.partitions)
        return record
    }

    func cycle(_ number: Int64) throws -> CycleRecord? { try ClearingAdmin.cycles(statePath: statePath).first { $0.cycle == number } }

    /// Waits until `number` is SETTLED; fails on FAILED or when time runs out.
    func waitSettled(_ number: Int64, timeoutSeconds: Double = 120) async throws -> CycleRecord {
        let settled = try await poll(timeoutSeconds: timeoutSeconds, intervalMilliseconds: 20) {
            let status = try cycle(number)?.status
            if status == .failed { throw NodeFailure("cycle \(number) FAILED: \(try cycle(number)?.reason ?? "?")") }
            return status == .settled
        }
        let now = try cycle(number)
        try #require(settled, "cycle \(number) settled within \(timeoutSeconds) s (now \(String(describing: now)))")
        return try #require(try cycle(number))
    }

    /// Every settlement file's bytes by name.
    func settlementFiles() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: settlementDirectory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: "\(settlementDirectory)/\(name)"))
        }
        return files
    }

    /// Waits until every acknowledged record is applied somewhere.
    func waitCaughtUp(timeoutSeconds: Double = 120) async throws {
        let caughtUp = try await poll(timeoutSeconds: timeoutSeconds, intervalMilliseconds: 50) { lag() == 0 }
        try #require(caughtUp, "the workers caught up within \(timeoutSeconds) s (lag \(lag()))")
    }
}

/// `poll` for a condition that has to await.
func pollAsync(timeoutSeconds: Double, intervalMilliseconds: Int = 100, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(intervalMilliseconds))
    }
    return false
}
