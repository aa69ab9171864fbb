import ClearingNode
import Crypto
import Foundation
import Ledger
import LoyaltyTesting
import LoyaltyWire
import Programme
import SettlementFiles
import SwiftProtobuf
import Testing
import Worker

/// What scripts/setup-real-broker.sh (run by `scripts/setup.sh --test-tools`) installs
/// from PyPI into var/real-broker: Tansu, an independent Kafka-protocol broker, and the
/// librdkafka of the confluent-kafka wheel.
enum RealBroker {
    static let directory =
        ProcessInfo.processInfo.environment["LOYALTY_REAL_BROKER_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("var/real-broker").path
    static var tansu: String { "\(directory)/tansu" }
    static var library: String { "\(directory)/lib" }
    static var installed: Bool {
        FileManager.default.isExecutableFile(atPath: tansu) && FileManager.default.fileExists(atPath: "\(library)/librdkafka.so.1")
    }
    /// scripts/test.sh sets LOYALTY_REQUIRE_REAL_BROKER=1: there, a missing install fails the test.
    static var required: Bool { ProcessInfo.processInfo.environment["LOYALTY_REQUIRE_REAL_BROKER"] == "1" }
    static var librdkafkaVersion: String {
        ((try? String(contentsOfFile: "\(directory)/librdkafka-version", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite(
    "The pipeline on an independent broker and a current librdkafka", .timeLimit(.minutes(5)),
    .enabled(if: RealBroker.installed || RealBroker.required, "run scripts/setup-real-broker.sh first"))
struct RealBrokerTests {
    enum Broker: String, CaseIterable, Sendable {
        /// Tansu 0.6 from PyPI: not librdkafka's code on the broker side.
        case tansu
        /// `loyalty broker` (librdkafka's mock cluster), itself on the wheel's librdkafka.
        case mock
    }

    @Test("topics, a worker, produce, a cycle settled and verified, on the wheel's librdkafka", arguments: Broker.allCases)
    func pipeline(broker: Broker) async throws {
        try #require(RealBroker.installed, "no Tansu or librdkafka in \(RealBroker.directory): run scripts/setup-real-broker.sh")
        let directory = NSTemporaryDirectory() + "loyalty-real-broker-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logs = "\(directory)/logs"
        let current = ["LD_LIBRARY_PATH": RealBroker.library]
        var nodes: [NodeProcess] = []
        defer { for node in nodes where node.isRunning { kill(node.pid, SIGKILL) } }

        let bootstrap: String
        switch broker {
        case .tansu:
            let port = try freeLoopbackPort()
            let url = "tcp://127.0.0.1:\(port)"
            nodes.append(
                try NodeProcess(
                    "tansu", ["broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                    logs: logs, executable: RealBroker.tansu))
            bootstrap = "127.0.0.1:\(port)"
        case .mock:
            let file = "\(directory)/bootstrap.txt"
            nodes.append(
                try NodeProcess(
                    "broker", ["broker", "--brokers", "1", "--partitions", "4", "--bootstrap-file", file], logs: logs, environment: current))
            #expect(try await poll(timeoutSeconds: 60) { FileManager.default.fileExists(atPath: file) })
            bootstrap = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let programme = "\(directory)/programme.json"
        try Programme.sampleJSON.write(toFile: programme, atomically: true, encoding: .utf8)
        let common = ["--bootstrap", bootstrap, "--log-level", "info"]
        let topics = try NodeProcess(
            "topics", ["topics", "--partitions", "4", "--replication-factor", "1"] + common, logs: logs, environment: current)
        try await exited(topics.process, timeoutSeconds: 90)
        try #require(topics.process.terminationStatus == 0, "topics: \(topics.log.suffix(1_500))")

        let key = SigningKeyFile.generate()
        try SigningKeyFile.writePrivateKey(key, to: "\(directory)/operator.key")
        let state = "\(directory)/clearing/state.sqlite"
        let out = "\(directory)/settlement"
        let worker = try NodeProcess(
            "worker",
            ["worker", "--data", "\(directory)/shards", "--programme", programme, "--fetch-wait-ms", "5"] + ClusterRun.observability.worker + common,
            logs: logs,
            environment: current)
        let clearing = try NodeProcess(
            "clearing",
            ["clearing", "run", "--programme", programme, "--state", state, "--out", out, "--key", "\(directory)/operator.key"]
                + ClusterRun.observability.clearing + common,
            logs: logs, environment: current)
        nodes += [worker, clearing]

        let transactions = GatewayTraffic.transactions(2_000, members: 300, seed: 21)
        let ndjson = try transactions.map { try Loyalty_V1_TransactionEnvelope($0).jsonString() }.joined(separator: "\n")
        try Data(ndjson.utf8).write(to: URL(fileURLWithPath: "\(directory)/traffic.ndjson"))
        let produce = try NodeProcess(
            "produce", ["produce", "\(directory)/traffic.ndjson", "--programme", programme] + common, logs: logs, environment: current)
        try await exited(produce.process, timeoutSeconds: 90)
        try #require(produce.process.terminationStatus == 0, "produce: \(produce.log.suffix(1_500))")

        let close = try NodeProcess("close", ["clearing", "close", "--state", state, "--out", out] + common, logs: logs, environment: current)
        try await exited(close.process, timeoutSeconds: 90)
        try #require(close.process.terminationStatus == 0, "close: \(close.log.suffix(1_500))")
        let settled = try await poll(timeoutSeconds: 120, intervalMilliseconds: 100) {
            try ClearingAdmin.cycles(statePath: state).first { $0.cycle == 1 }?.status == .settled
        }
        try #require(settled, "cycle 1 settled; worker log: \(worker.log.suffix(1_500)) clearing log: \(clearing.log.suffix(1_500))")

        // Every transaction in the cycle once, the files verify, and the nodes ran on the
        // wheel's librdkafka, not Debian's.
        let report = try SettlementVerifier.verify(directory: out, publicKey: key.publicKey)
        #expect(report.cycles == [1])
        var outcomes: Int64 = 0
        for partition in Int32(0)..<4 {
            let shard = try Shard(
                path: WorkerConfiguration.shardPath(dataDirectory: "\(directory)/shards", partition: partition), partition: partition,
                programme: .sample)
            let totals = try shard.totals()
            shard.close()
            outcomes += totals.accepted + totals.rejected + totals.duplicates + totals.deadLetters
        }
        #expect(outcomes == Int64(transactions.count), "each transaction applied once")
        // /proc files have no size: read to the end rather than what a stat promises.
        let maps = try #require(FileHandle(forReadingAtPath: "/proc/\(worker.pid)/maps"))
        let loaded = String(decoding: maps.readDataToEndOfFile(), as: UTF8.self)
        try maps.close()
        let wheel = try FileManager.default.destinationOfSymbolicLink(atPath: "\(RealBroker.library)/librdkafka.so.1")
        #expect(loaded.contains(URL(fileURLWithPath: wheel).lastPathComponent), "the worker loaded the wheel's librdkafka")
        for node in [worker, clearing] {
            let stop = try await node.stop(graceSeconds: 20)
            #expect(stop.status == 0, "\(node.name): \(stop)")
        }
        print("real broker: \(broker.rawValue), librdkafka \(RealBroker.librdkafkaVersion): cycle 1 settled and verified, \(outcomes) transactions")
    }
}

/// A loopback port nobody listens on right now (the kernel's pick for port 0).
func freeLoopbackPort() throws -> Int { try #require(bindLoopback(0), "a free loopback port") }

/// Binds a TCP socket to 127.0.0.1:`port` (0: the kernel picks one) and closes it again:
/// the port it got, or nil when the port is taken.
func bindLoopback(_ port: Int) -> Int? {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return nil }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}
