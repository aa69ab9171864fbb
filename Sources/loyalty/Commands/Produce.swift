import ArgumentParser
import Foundation
import Kafka
import LoyaltyWire
import SwiftProtobuf
import Worker

struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish transactions from an NDJSON file (one TransactionEnvelope per line, proto3 JSON).",
        discussion: """
            Each line is a loyalty.v1.TransactionEnvelope in proto3 JSON, e.g.
              {"partner_id":"fuel","partner_txn_id":"f-1","member_id":"m-000001","occurred_at_ms":"1767225600000","accrual":{"amount_minor":"4599","currency":"EUR","category":"fuel"}}
            The whole file is checked first; if any line is invalid, each bad line is \
            reported with its number, field and reason, and nothing is published \
            (unless --skip-invalid). Records are keyed by member id (murmur2).
            """
    )

    @Argument(help: "NDJSON file, or - for standard input.") var file: String
    @OptionGroup var kafka: KafkaOptions
    @Flag(help: "Publish the valid lines even if some are invalid.") var skipInvalid = false
    @Flag(help: "Only check the file.") var dryRun = false
    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = try log.bootstrap(label: "loyalty.produce")
        let text: String
        if file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CLIError("\(file): cannot be read as UTF-8 text")
            }
            text = contents
        }
        var valid: [Loyalty_V1_TransactionEnvelope] = []
        var problems: [String] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            switch Self.parse(trimmed) {
            case .success(let envelope): valid.append(envelope)
            case .failure(let error): problems.append("line \(index + 1): \(error)")
            }
        }
        for problem in problems { FileHandle.standardError.write(Data((problem + "\n").utf8)) }
        if !problems.isEmpty, !skipInvalid {
            throw CLIError("\(problems.count) invalid line(s); nothing published (use --skip-invalid to publish the \(valid.count) valid ones)")
        }
        if dryRun {
            print("\(valid.count) valid, \(problems.count) invalid; nothing published (--dry-run)")
            return
        }
        let producer = try KafkaProducer(
            configuration: {
                var configuration = ProducerConfiguration(bootstrapServers: try kafka.resolvedBootstrapServers())
                configuration.extra = try kafka.extra()
                return configuration
            }(),
            logger: logger
        )
        defer { producer.shutdown() }
        let feeder = Feeder(producer: producer)
        let topic = LoyaltyWire.Topics().transactions
        for envelope in valid {
            feeder.send(ProducerRecord(topic: topic, partition: nil, key: Array(envelope.memberID.utf8), value: try envelope.serializedBytes()))
        }
        try feeder.drain()
        let tally = feeder.snapshot
        print("published \(tally.acknowledged) of \(valid.count) to \(topic); \(tally.failed) failed; \(problems.count) invalid line(s) skipped")
        if tally.failed > 0 {
            throw CLIError("\(tally.failed) record(s) were not acknowledged by Kafka: \(tally.firstFailure ?? "")")
        }
    }

    static func parse(_ line: String) -> Result<Loyalty_V1_TransactionEnvelope, WireError> {
        let envelope: Loyalty_V1_TransactionEnvelope
        do {
            envelope = try Loyalty_V1_TransactionEnvelope(jsonString: line)
        } catch {
            return .failure(WireError(field: "json", reason: "not a TransactionEnvelope: \(error)"))
        }
        do {
            _ = try InboundMessage(envelope)
            if case .barrier = envelope.body {
                return .failure(WireError(field: "barrier", reason: "barriers are written by the clearing node only"))
            }
            return .success(envelope)
        } catch {
            return .failure(error)
        }
    }
}
