import ArgumentParser
import Foundation
import Kafka
import Logging
import LoyaltyTesting
import LoyaltyWire
import Programme
import Testing
import Worker

@testable import loyalty

/// Issue 12's production safety: a missing programme file, a too-high replication factor
/// and a partition-count mismatch each stop a node with one error line naming the fix;
/// `--log-format json` writes one JSON object per line.
@Suite("Production safety and logs", .timeLimit(.minutes(10)))
struct ProductionSafetyTests {
    /// The `Error:` lines of a command's output.
    static func errorLines(_ output: String) -> [Substring] {
        output.split(separator: "\n").filter { $0.hasPrefix("Error:") }
    }

    @Test(
        "every command that prices transactions refuses to start without --programme, in one line naming the fix",
        arguments: [
            ["worker", "--bootstrap", "127.0.0.1:9", "--log-level", "error"],
            ["gateway", "--bootstrap", "127.0.0.1:9", "--secrets", "/nonexistent/secrets.json", "--log-level", "error"],
            ["clearing", "run", "--bootstrap", "127.0.0.1:9", "--log-level", "error"],
            ["produce", "/dev/null", "--bootstrap", "127.0.0.1:9", "--log-level", "error"],
            ["ledger", "inspect", "--data", "/nonexistent"],
            ["ledger", "verify", "--data", "/nonexistent"],
            ["ledger", "rebuild", "--bootstrap", "127.0.0.1:9", "--partition", "0", "--log-level", "error"],
            ["ledger", "history", "--data", "/nonexistent", "--partition", "0", "--member", "m"],
        ])
    func missingProgramme(arguments: [String]) async throws {
        let result = try await LedgerVerifyTests.run(arguments)
        #expect(result.status != 0)
        let errors = Self.errorLines(result.output)
        #expect(errors.count == 1, "\(result.output)")
        #expect(errors.first?.contains("no programme given: pass --programme FILE") == true, "\(result.output)")
        #expect(errors.first?.contains("loyalty programme check") == true)
    }

    @Test("topics: a replication factor above the cluster's brokers is refused, naming the value to pass; one within it is fine")
    func replicationFactorAgainstBrokers() async throws {
        let cluster = try TestCluster(partitions: 4, brokers: 1, label: "topics-rf")
        let refused = try TopicsCommand.parse(["--bootstrap", cluster.bootstrap, "--partitions", "4", "--log-level", "error"])
        await #expect {
            try await refused.run()
        } throws: { error in
            (error as? CLIError)?.description.hasPrefix("replication factor 3 > 1 broker(s) in the cluster: pass --replication-factor 1") == true
        }
        let accepted = try TopicsCommand.parse([
            "--bootstrap", cluster.bootstrap, "--partitions", "4", "--replication-factor", "1", "--log-level", "error",
        ])
        try await accepted.run()
        #expect(try cluster.recordCount(cluster.topics.transactions) == 0)
        #expect(TopicsCommand.replicationRefusal(3, brokers: 3) == nil)
        #expect(TopicsCommand.replicationRefusal(2, brokers: 1)?.contains("pass --replication-factor 1") == true)
        #expect(throws: (any Error).self) { try TopicsCommand.parse(["--replication-factor", "0"]).validate() }
    }

    @Test("a worker whose data directory was made for another partition count refuses, naming both counts and the fix")
    func partitionCountMismatch() async throws {
        let cluster = try TestCluster(partitions: 2, label: "mismatch")
        let recorded = cluster.dataDirectory("recorded")
        try FileManager.default.createDirectory(atPath: recorded, withIntermediateDirectories: true)
        try Data("4\n".utf8).write(to: URL(fileURLWithPath: "\(recorded)/partition-count"))
        let inferred = cluster.dataDirectory("inferred")
        try FileManager.default.createDirectory(atPath: inferred, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: WorkerConfiguration.shardPath(dataDirectory: inferred, partition: 3), contents: nil))

        for (data, expected) in [
            (recorded, "were made for 4 partitions of loyalty.transactions, which has 2"), (inferred, "holds a shard of partition 3"),
        ] {
            let result = try await LedgerVerifyTests.run([
                "worker", "--programme", sampleProgrammePath, "--bootstrap", cluster.bootstrap, "--data", data, "--group", "mismatch-\(UUID())",
                "--session-timeout-ms", "3000", "--log-level", "critical",
            ])
            #expect(result.status != 0)
            let lines = result.output.split(separator: "\n").filter { $0.contains("partition-count mismatch") }
            #expect(lines.contains { $0.contains(expected) && $0.contains("point --data at") }, "\(result.output)")
            // Nothing was applied: no shard file was created or opened.
            #expect(!FileManager.default.fileExists(atPath: WorkerConfiguration.shardPath(dataDirectory: data, partition: 0)))
        }
        #expect(try String(contentsOfFile: "\(recorded)/partition-count", encoding: .utf8) == "4\n")
    }

    @Test("a worker records the partition count its shards are made for at its first assignment")
    func partitionCountRecorded() async throws {
        let cluster = try TestCluster(partitions: 2, label: "recorded")
        let data = cluster.dataDirectory("shards")
        let ends = try cluster.produce(syntheticTransactions(20, members: 10, seed: 12))
        let pool = WorkerPool(count: 1, bootstrapServers: cluster.bootstrap, dataDirectory: data, programme: .sample, logger: cluster.logger)
        try await pool.waitUntilApplied(ends, timeoutSeconds: 180)
        try await pool.stop()
        #expect(try String(contentsOfFile: "\(data)/partition-count", encoding: .utf8) == "2\n")
    }

    @Test("--log-format json: every line a real command writes to stderr is one JSON object with the documented fields")
    func jsonLogs() async throws {
        let cluster = try TestCluster(partitions: 4, brokers: 1, label: "json-logs")
        let result = try await LedgerVerifyTests.run([
            "topics", "--bootstrap", cluster.bootstrap, "--partitions", "4", "--replication-factor", "1", "--log-format", "json",
        ])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty, "\(result.output)")
        var starting: [String: Any]?
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(Set(object.keys) == ["time", "level", "label", "message", "metadata"], "\(line)")
            #expect((object["time"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(line)")
            if object["message"] as? String == "starting" { starting = object }
        }
        let first = try #require(starting, "no start line in:\n\(result.output)")
        #expect(first["label"] as? String == "loyalty.topics")
        #expect(first["level"] as? String == "info")
        #expect((first["metadata"] as? [String: Any])?["librdkafka"] as? String == LibrdkafkaVersion.linked)

        let bad = try await LedgerVerifyTests.run(["topics", "--bootstrap", cluster.bootstrap, "--log-format", "xml"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("--log-format xml: expected text or json"))
    }

    @Test("a JSON log line escapes what it quotes and parses back to the same fields")
    func jsonLineEscapes() throws {
        let message = "quote \" backslash \\ newline \n tab \t bell \u{7} é"
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_764_656_400.1235), level: .warning, label: "loyalty.test", message: message,
            metadata: ["trace_id": "abc", "list": .array(["a", "b"]), "nested": .dictionary(["k": "v"])])
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == message)
        #expect(object["time"] as? String == "2025-12-02T06:20:00.123Z")
        #expect(object["level"] as? String == "warning")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["trace_id"] as? String == "abc")
        #expect(metadata["list"] as? [String] == ["a", "b"])
        #expect(metadata["nested"] as? [String: String] == ["k": "v"])
    }

    @Test("librdkafka older than 2.2.0 is warned about; 2.2.0 and later are not")
    func librdkafkaVersions() {
        #expect(LibrdkafkaVersion.warning(for: 0x0200_02ff, named: "2.0.2")?.contains("librdkafka 2.0.2 is older than 2.2.0") == true)
        #expect(LibrdkafkaVersion.warning(for: 0x0201_01ff, named: "2.1.1") != nil)
        #expect(LibrdkafkaVersion.warning(for: 0x0202_00ff, named: "2.2.0") == nil)
        #expect(LibrdkafkaVersion.warning(for: 0x0203_00ff, named: "2.3.0") == nil)
        #expect(!LibrdkafkaVersion.linked.isEmpty)
    }
}
