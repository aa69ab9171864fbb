import ArgumentParser
import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import LoyaltyWire
import Programme
import Testing

@testable import loyalty

/// `loyalty programme publish FILE`: a checked file, byte for byte, into every partition;
/// nothing for a file the nodes would refuse (docs/programme.md, "Programme versions").
@Suite("loyalty programme publish", .timeLimit(.minutes(10)))
struct ProgrammePublishCommandTests {
    static func write(_ text: String, _ directory: String, _ name: String) throws -> String {
        let path = "\(directory)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func publish(_ arguments: [String], _ test: TestCluster) async throws {
        let command = try ProgrammeCommand.Publish.parse(arguments + ["--bootstrap", test.bootstrap, "--log-level", "error"])
        try await command.run()
    }

    @Test("a valid file goes into every partition verbatim; invalid or forbidden ones publish nothing")
    func publishes() async throws {
        let test = try TestCluster(partitions: 3, label: "programme-publish")
        let v2 = Programme.sampleJSON.replacingOccurrences(of: "\"version\": \"2026-11-01\"", with: "\"version\": \"2026-12-01\"")
        let good = try Self.write(v2, test.directory, "v2.json")
        let current = try Self.write(Programme.sampleJSON, test.directory, "v1.json")
        let invalid = try Self.write(v2.replacingOccurrences(of: "\"expiry_months\": 24", with: "\"expiry_months\": -1"), test.directory, "bad.json")
        let revalued = try Self.write(
            v2.replacingOccurrences(of: "\"point_value_minor\": 1,", with: "\"point_value_minor\": 2,"), test.directory, "value.json")

        await #expect(throws: CLIError.self) { try await Self.publish([invalid], test) }
        do {
            try await Self.publish([revalued, "--current", current], test)
            Issue.record("a file that changes the point value was published")
        } catch let error as CLIError {
            #expect(error.description.contains("point_value_minor") && error.description.contains("nothing published"))
        }
        // A longer horizon than the running version's: rows past the old one may be archived.
        func horizons(_ json: String, _ days: Int) -> String {
            json.replacingOccurrences(
                of: "\"expiry_months\": 24,", with: "\"expiry_months\": 24, \"idempotency_horizon_days\": \(days), \"reversal_window_days\": \(days),"
            )
        }
        let bounded = try Self.write(horizons(Programme.sampleJSON, 90), test.directory, "v1-bounded.json")
        let longer = try Self.write(horizons(v2, 180), test.directory, "longer.json")
        do {
            try await Self.publish([longer, "--current", bounded], test)
            Issue.record("a file that lengthens the horizon was published")
        } catch let error as CLIError {
            #expect(error.description.contains("idempotency_horizon_days from 90 to 180") && error.description.contains("nothing published"))
        }
        #expect(try test.recordCount(test.topics.transactions) == 0)

        try await Self.publish([good, "--current", current], test)
        #expect(try test.recordCount(test.topics.transactions) == 3)
        let records = try test.read(test.topics.transactions, atLeast: 3)
        #expect(Set(records.map(\.partition)) == [0, 1, 2])
        for record in records {
            guard case .success(.programme(let release)) = InboundMessage.decode(record.value) else {
                Issue.record("partition \(record.partition): not a programme version")
                continue
            }
            #expect(release.version == "2026-12-01")
            #expect(release.json == Array(v2.utf8))
            #expect(release.sha256 == ProgrammeRelease.sha256Hex(of: Array(v2.utf8)))
        }
    }
}
