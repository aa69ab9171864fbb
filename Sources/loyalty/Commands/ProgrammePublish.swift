import ArgumentParser
import Foundation
import Kafka
import Ledger
import LoyaltyWire
import Programme
import SwiftProtobuf

extension ProgrammeCommand {
    /// `loyalty programme publish FILE`: a new programme version into every partition of the
    /// transactions topic, as the clearing node writes barriers (docs/programme.md,
    /// "Programme versions").
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a programme version into the log: every shard switches to it at one log position.",
            discussion: """
                Checks FILE as `loyalty programme check` does (an invalid file is refused with \
                every problem and nothing is published), then writes one ProgrammeVersion \
                message (the file byte for byte, its version and SHA-256) into every partition \
                of the transactions topic and waits for Kafka's acks. Each shard prices every \
                transaction after that message by the new version, live and on any rebuild, and \
                keeps every version it has read. Publishing the same file again is harmless. \
                A worker whose binary cannot load the file (keys of a newer binary) pauses the \
                partition at the message instead of going on by the old rules \
                (docs/operations.md, "A partition paused on a programme version"). Give the \
                clearing node and the gateway the new file too (restart them with it): they \
                read partners from their own --programme.
                """
        )

        @Argument(help: "Programme file (JSON), published byte for byte.") var file: String
        @Option(
            help: ArgumentHelp(
                "The version the nodes run now: refuse FILE if it changes what a version may not (currency, point values), which would pause every partition.",
                valueName: "file"))
        var current: String?
        @OptionGroup var kafka: KafkaOptions
        @Flag(help: "Only check the file and print what would be published.") var dryRun = false
        @OptionGroup var log: LogOptions

        func run() async throws {
            let logger = try log.bootstrap(label: "loyalty.programme")
            let release = try Self.release(path: file, publishedAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000))
            if let current {
                let running: Programme
                do { running = try Programme.load(path: current) } catch { throw CLIError("--current \(current): \(error)") }
                let next = try Programme.decode(jsonData: Data(release.json))
                if let problem = Shard.versionChangeProblem(from: running, to: next) {
                    throw CLIError("\(file) cannot follow version \(running.version) (\(current)): \(problem); nothing published")
                }
            }
            print("\(file): version \(release.version), sha256 \(release.sha256), \(release.json.count) bytes")
            if dryRun {
                print("nothing published (--dry-run)")
                return
            }
            let servers = try kafka.resolvedBootstrapServers()
            try TopicCheck.requireTransactionsTopic(bootstrapServers: servers, extra: try kafka.extra(), logger: logger)
            var configuration = ProducerConfiguration(bootstrapServers: servers)
            configuration.extra = try kafka.extra()
            let producer = try KafkaProducer(configuration: configuration, logger: logger)
            defer { producer.shutdown() }
            let topic = LoyaltyWire.Topics().transactions
            let written = try Self.publish(release, producer: producer, topic: topic)
            print("published version \(release.version) to \(written.count) partition(s) of \(topic):")
            for metadata in written { print("  partition \(metadata.partition) offset \(metadata.offset)") }
        }

        /// The release of the file at `path`, or the file's problems (as `check` prints them).
        static func release(path: String, publishedAtMilliseconds: Int64) throws -> ProgrammeRelease {
            // Read once: the bytes published are the bytes checked.
            let bytes: [UInt8]
            do {
                guard let read = try RegularFile.read(path, maxBytes: Int64(Programme.maxFileBytes), followingLinks: true) else {
                    throw CLIError("\(path): no such file; nothing published")
                }
                bytes = read
            } catch let refusal as RegularFile.Refusal {
                throw CLIError("\(path): cannot read the programme file: \(refusal); nothing published")
            }
            do {
                return try ProgrammeRelease(file: bytes, publishedAtMilliseconds: publishedAtMilliseconds)
            } catch {
                throw CLIError("\(path): \(error)\nnothing published")
            }
        }

        /// `ledger inspect`'s line of the versions a shard has read, which offsets each
        /// prices from; nil while only the `--programme` file has priced it.
        static func versionsLine(_ versions: [Shard.ProgrammeVersion]) -> String? {
            guard versions.count > 1 else { return nil }
            let described = versions.map { version in
                version.sha256.isEmpty
                    ? "\(version.version) (the --programme file) from offset 0"
                    : "\(version.version) (sha256 \(version.sha256.prefix(12))…) from offset \(version.fromOffset)"
            }
            return "programme versions: " + described.joined(separator: ", ")
        }

        /// Writes `release` into every partition of `topic` and waits for the acks; the
        /// offset of each (BLOCKING: run from a command, not the cooperative pool's hot path).
        static func publish(_ release: ProgrammeRelease, producer: KafkaProducer, topic: String) throws -> [RecordMetadata] {
            let partitions = try producer.partitionCount(topic: topic, timeoutMilliseconds: 10_000)
            let value: [UInt8] = try Loyalty_V1_TransactionEnvelope.programme(release).serializedBytes()
            let records = (0..<partitions).map { ProducerRecord(topic: topic, partition: $0, key: nil, value: value) }
            return try producer.sendAllBlocking(records, timeoutMilliseconds: 30_000)
        }
    }
}
