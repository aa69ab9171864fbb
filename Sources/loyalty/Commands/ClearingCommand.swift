import ArgumentParser
import Clearing
import ClearingNode
import Crypto
import Foundation
import Logging
import NodeRuntime
import Programme
import ServiceLifecycle
import SettlementFiles
import UnixSignals

struct ClearingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearing",
        abstract: "Run the clearing node, close a cycle, retry a failed one, or list cycles.",
        subcommands: [Run.self, Close.self, Retry.self, Status.self, TopUp.self]
    )

    struct NodeOptions: ParsableArguments {
        @Option(help: "The clearing node's state file (SQLite).") var state = "var/clearing/state.sqlite"
        @Option(help: "Directory for the settlement files.") var out = "var/settlement"
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the clearing node until interrupted.",
            discussion: """
                Closes a cycle on schedule (--every SECONDS, or --daily-at HH:MM in \
                --time-zone) or when `loyalty clearing close` asks, by writing a barrier into \
                every partition. Settles a cycle once every partition's worker has reported \
                its position and every check passes: instructions CSV, partner statements, \
                pain.001 XML, a manifest signed with --key, and instruction events on the \
                settlements topic. A failed check marks the cycle FAILED with the partition or \
                figure that is wrong; nothing is settled in part.
                """
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var programme: ProgrammeOption
        @OptionGroup var node: NodeOptions
        @Option(help: "The operator's Ed25519 private key (see `loyalty settlement keygen`).") var key = "var/clearing/operator.key"
        @Option(help: "Close a cycle every N seconds.") var every: Int64?
        @Option(help: "Close a cycle daily at HH:MM local time of --time-zone.") var dailyAt: String?
        @Option(help: "IANA time zone of --daily-at.") var timeZone = "UTC"
        @Option(help: "direct (minimal transfers, default) or ccp (everyone pays or is paid by the operator).")
        var mode = "direct"
        @Option(help: .hidden) var failpoint: String?
        @Option(help: "Port of GET /metrics, /health and /ready (0: any free port; the start log line names it).")
        var metricsPort = ObservabilityServer.clearingDefaultPort
        @Option(help: "Address the metrics port listens on.") var metricsHost = ObservabilityServer.defaultHost
        @OptionGroup var log: LogOptions

        func validate() throws {
            if let problem = ObservabilityServer.problem(port: metricsPort) { throw ValidationError(problem) }
        }

        func run() async throws {
            let logger = try log.bootstrap(label: "loyalty.clearing")
            let programme = try programme.load()
            var configuration = ClearingConfiguration(
                bootstrapServers: try kafka.resolvedBootstrapServers(), statePath: node.state, outputDirectory: node.out
            )
            configuration.kafkaExtra = try kafka.extra()
            configuration.schedule = try ClearingSchedule.parse(everySeconds: every, dailyAt: dailyAt, timeZone: timeZone)
            configuration.mode = try InstructionMode.parse(mode, operatorId: programme.operatorId)
            configuration.failpoint = failpoint
            let signingKey = try SigningKeyFile.loadPrivateKey(from: key)
            let clearing = ClearingNode(configuration: configuration, programme: programme, signingKey: signingKey, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        // Started first, stopped last: /health says 503 while the node stops.
                        .init(service: clearing.observabilityServer(host: metricsHost, port: metricsPort, logger: logger)),
                        .init(service: clearing, successTerminationBehavior: .gracefullyShutdownGroup),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
                )
            )
            try await group.run()
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close the open cycle now: record it as CLOSING and write its barriers.",
            discussion: "The running clearing node (same --state) collects the positions and settles the cycle."
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var node: NodeOptions
        @OptionGroup var log: LogOptions

        func run() async throws {
            let logger = try log.bootstrap(label: "loyalty.clearing")
            var configuration = ClearingConfiguration(
                bootstrapServers: try kafka.resolvedBootstrapServers(), statePath: node.state, outputDirectory: node.out
            )
            configuration.kafkaExtra = try kafka.extra()
            let record = try ClearingAdmin.close(configuration: configuration, logger: logger)
            print(
                "cycle \(record.cycle): CLOSING, barriers written to \(record.partitions) partitions at \(Timestamp.iso(record.closedAtMilliseconds))"
            )
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a FAILED cycle back to CLOSING once its cause is repaired.",
            discussion: """
                A cycle fails when a check does not pass or its files cannot be written \
                (`loyalty clearing status` shows the reason), and every later cycle then \
                fails behind it. This resets the cycle, and the later cycles that failed only \
                because of it, to CLOSING; the running node (same --state) settles them again \
                in order, with every check run again: files identical to what a first \
                attempt would have written, no instruction event published twice. A check \
                that still does not pass fails the cycle again with its reason.
                """
        )

        @Argument(help: "The FAILED cycle; the cycle before it must be SETTLED.") var cycle: Int64
        @OptionGroup var node: NodeOptions

        func run() async throws {
            let reset: [Int64]
            do {
                reset = try ClearingAdmin.retry(statePath: node.state, cycle: cycle)
            } catch let error as ClearingNodeError {
                throw CLIError(error.description)
            }
            let names = reset.map(String.init).joined(separator: ", ")
            print(
                "cycle\(reset.count == 1 ? "" : "s") \(names): FAILED -> CLOSING; the running clearing node settles \(reset.count == 1 ? "it" : "them") again in order"
            )
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cycles and what each waits for.")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            let cycles = try ClearingAdmin.cycles(statePath: node.state)
            print(Report.cycles(cycles))
        }
    }
}

struct SettlementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settlement",
        abstract: "Verify settlement files, trace a settled amount, or make the operator's signing key.",
        subcommands: [Verify.self, Trace.self, Keygen.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a settlement directory: hashes, signatures, the manifest chain, sums and counts.",
            discussion: """
                Exits non-zero naming the first mismatch (file, line or field, expected and found).

                The directory is not trusted (files received from elsewhere): only regular files \
                directly inside it are read, never through a symbolic link, never a FIFO, device or \
                directory, each within a size limit for its kind (manifest 16 MiB, instructions \
                8 MiB, pain.001 32 MiB, statement 4 MiB, signature 1 KiB), and the manifest may \
                name only plain file names of its own cycle. See docs/finance.md.
                """
        )

        @Argument(help: "Directory with cycle-N-* files.") var directory: String
        @Option(help: "The operator's public key file.") var publicKey = "var/clearing/operator.pub"
        @Option(help: "Only this cycle (default: every cycle in the directory, chained from cycle 1).") var cycle: Int64?

        func run() async throws {
            let key = try SettlementVerifier.loadPublicKey(from: publicKey)
            do {
                let report = try SettlementVerifier.verify(
                    directory: directory, cycle: cycle.map { .cycle($0) } ?? .all, publicKey: key
                )
                print(
                    "verified: cycles \(report.cycles.map(String.init).joined(separator: ", ")); \(report.filesChecked) files, \(report.instructionCount) instructions; signatures, chain, hashes, sums and counts agree"
                )
            } catch {
                throw CLIError("verification failed: \(error)")
            }
        }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair for signing manifests (hex, one line each).",
            discussion: "The private key file is written with mode 0600. Give finance and partners the public key."
        )

        @Option(help: "Private key file.") var privateKey = "var/clearing/operator.key"
        @Option(help: "Public key file.") var publicKey = "var/clearing/operator.pub"
        @Flag(help: "Replace existing files.") var force = false

        func run() async throws {
            if !force, FileManager.default.fileExists(atPath: privateKey) {
                throw CLIError("\(privateKey) exists; pass --force to replace it (manifests signed with it stop verifying with a new public key)")
            }
            for path in [privateKey, publicKey] {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            }
            let key = SigningKeyFile.generate()
            try SigningKeyFile.writePrivateKey(key, to: privateKey)
            try SigningKeyFile.writePublicKey(key.publicKey, to: publicKey)
            print(
                "private key: \(privateKey)\npublic key:  \(publicKey) (\(SigningKeyFile.text(of: key.publicKey).trimmingCharacters(in: .whitespacesAndNewlines)))"
            )
        }
    }
}

extension InstructionMode {
    static func parse(_ text: String, operatorId: String) throws -> InstructionMode {
        switch text {
        case "direct", "greedy": return .greedy
        case "ccp", "central-counterparty": return .centralCounterparty(operatorId: operatorId)
        default: throw ValidationError("--mode \(text): expected direct or ccp")
        }
    }
}
