import ArgumentParser
import Clearing
import ClearingNode
import Crypto
import Foundation
import Gateway
import Kafka
import Ledger
import Logging
import LoyaltyWire
import Programme
import ServiceLifecycle
import SettlementFiles
import Simulation
import SwiftProtobuf
import Synchronization
import Worker

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole pipeline on an embedded Kafka with a synthetic coalition.",
        discussion: """
            Hosts librdkafka's mock cluster, creates the topics, starts --workers accrual \
            workers in one consumer group and a clearing node, feeds --transactions \
            synthetic transactions (accruals, redemptions at other partners, partial \
            refunds, cancels, a few repeats, invalid transactions and undecodable records). \
            It closes clearing cycles 1 and 2 at a third and two thirds of the traffic, \
            while it flows, and cycle 3 at the end. A refuse-mode partner whose deposit \
            cycle 1 exhausts has its accruals refused in cycle 3; partners flagged low \
            after cycle 2 top up before cycle 3 closes. It prints each settlement with the partners' deposits, exposure, \
            breakage and conversions, verifies the signed files, and prints what happened \
            per partner.

            Everything lives under --data, which is wiped at the start: the embedded log \
            is in memory and dies with the process, so old shard files would not match it.
            """
    )

    @Option(help: "Synthetic members.") var members = 10_000
    @Option(help: "Synthetic transactions to feed.") var transactions = 200_000
    @Option(help: "Partitions of the transactions topic (= shards).") var partitions: Int32 = 8
    @Option(help: "Accrual workers in the consumer group.") var workers = 2
    @Option(help: "Seed of the synthetic coalition: same seed, same traffic.") var seed: UInt64 = 42
    @Option(help: "Working directory (wiped first).") var data = "var/dev"
    @Option(help: "One undecodable record every N transactions, to show the dead-letter path (0 = none).")
    var garbageEvery = 50_000
    @Option(
        help:
            "Partners whose POS terminals send through the C partner SDK (comma-separated; default: pharmacy, if the programme has it)."
    )
    var posPartners: String?
    @Option(help: "POS terminals (threads, each with its own SDK handle) per C-SDK partner.") var terminals = 4
    @Option(
        help:
            "Partners that send through the signed HTTP gateway (comma-separated; default: those of eshop, airline the programme has, else its first partner)."
    )
    var httpPartners: String?
    @Option(help: "Transactions per NDJSON batch an HTTP partner posts.") var batchLines = 500
    @Option(help: "Every Nth transaction of the HTTP partners goes alone on POST /v1/transactions (0 = never).")
    var singleEvery = 25
    @Option(help: "Port of the gateway on 127.0.0.1 (0 = any free port).") var gatewayPort = 0
    @OptionGroup var programme: ProgrammeOption
    @Option(name: .customLong("log-level"), help: "Log level of the nodes (logs go to stderr).") var logLevel = "warning"

    func validate() throws {
        // Three cycles close at a third, two thirds and the end of the traffic: each needs some.
        guard transactions >= 3 else { throw ValidationError("--transactions: must be at least 3 (dev closes three cycles), got \(transactions)") }
        guard members >= 1 else { throw ValidationError("--members: must be at least 1, got \(members)") }
    }

    func run() async throws {
        let logger = try LogOptions.parse(["--log-level", logLevel]).bootstrap(label: "loyalty.dev")
        // Without --programme, the coalition of config/programme.coalition.json: both
        // funding models, deposits, fees, a catalogue and an exchange partner.
        let programme = self.programme.path == nil ? Programme.coalitionSample : try self.programme.loadOrSample()
        guard programme.partners.contains(where: { $0.kind == .merchant }) else {
            throw CLIError("the programme has no merchant partner (kind \"merchant\"): synthetic members would have nowhere to earn points")
        }
        let files = FileManager.default
        if files.fileExists(atPath: data) { try files.removeItem(atPath: data) }
        let shardDirectory = "\(data)/shards"
        try files.createDirectory(atPath: shardDirectory, withIntermediateDirectories: true)

        let cluster = try MockCluster(brokers: 3, logger: logger)
        defer { cluster.shutdown() }
        let topics = LoyaltyWire.Topics()
        try cluster.createTopics(topics.specs(partitions: partitions, replicationFactor: 3))
        try cluster.writeBootstrap(to: "\(data)/bootstrap.txt")
        print("embedded Kafka (librdkafka mock, 3 brokers) at \(cluster.bootstrapServers)")
        print(
            "programme \(programme.version): \(programme.partners.count) partners, point value \(programme.pointValueMinor) minor unit(s) of \(programme.currency), points expire \(programme.expiryPolicy.describe(expiryMonths: programme.expiryMonths))"
        )
        print(
            "\(partitions) partitions, \(workers) workers, \(Format.grouped(Int64(transactions))) transactions from \(Format.grouped(Int64(members))) members\n"
        )

        let clearing = try startClearingNode(bootstrapServers: cluster.bootstrapServers, programme: programme, logger: logger)
        let clearingTask = Task { try await clearing.run() }
        let pool = WorkerPool(
            count: workers, bootstrapServers: cluster.bootstrapServers, dataDirectory: shardDirectory,
            programme: programme, logger: logger
        )
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        defer { producer.shutdown() }
        let feeder = Feeder(producer: producer)
        let progress = ProgressLine()
        var posLanes: [String: POSTerminals] = [:]
        for partner in try names(posPartners, option: "--pos-partners", default: ["pharmacy"], programme) {
            posLanes[partner] = try POSTerminals(partnerId: partner, terminals: terminals, bootstrapServers: cluster.bootstrapServers)
        }

        let keys = try httpKeys(programme)
        let (gateway, gatewayGroup) = try startGateway(bootstrapServers: cluster.bootstrapServers, programme: programme, keys: keys, logger: logger)
        let gatewayTask = Task { try await gatewayGroup.run() }
        let client = GatewayClient(base: try await GatewayClient.base(of: gateway))
        try await client.waitReady()
        let httpPartners = HTTPPartners(
            client: client, keys: keys, lanesPerPartner: 4, batchLines: batchLines, singleEvery: singleEvery)
        print(
            "partner gateway at \(client.base): \(httpPartners.partners.joined(separator: ", ")) send signed NDJSON batches and single requests; keys in \(data)/gateway-secrets.json"
        )
        print("C partner SDK (POS terminals): \(posLanes.keys.sorted().joined(separator: ", ")); the other partners produce straight to Kafka\n")

        var settings = SyntheticCoalition.Settings()
        settings.members = members
        settings.transactions = transactions
        settings.seed = seed
        var fed = 0
        let lanes = posLanes
        let httpAccepted = httpPartners.acceptedCount
        let acknowledged = { feeder.snapshot.acknowledged + lanes.values.reduce(0) { $0 + $1.acknowledged } + httpAccepted() }
        for transaction in SyntheticCoalition(programme: programme, settings: settings) {
            fed += 1
            if fed % 2_000 == 0 { progress.show(feeding: fed, of: transactions, acknowledged: acknowledged(), pool: pool) }
            if fed == transactions / 3 || fed == transactions * 2 / 3 {
                // Cycles 1 and 2 each take everything sent so far: wait for Kafka's acks,
                // then close. Traffic flows on while the workers reach the barriers.
                try feeder.drain()
                posLanes.values.forEach { $0.waitUntilIdle() }
                await httpPartners.drain()
                if fed == transactions * 2 / 3 {
                    // Cycle 1's settlement decides which deposits ran out: the barrier that
                    // closes cycle 2 suspends those partners' accruals (refuse mode), so
                    // cycle 3 refuses them DEPOSIT_EXHAUSTED until a top-up.
                    _ = try await clearing.waitUntilSettled(1)
                }
                clearing.requestClose()
            }
            if let lane = posLanes[transaction.partnerId] {
                lane.send(transaction)
                continue
            }
            if httpPartners.handles(transaction.partnerId) {
                try await httpPartners.send(transaction)
                continue
            }
            let envelope = Loyalty_V1_TransactionEnvelope(transaction, traceId: "dev-\(fed)")
            let key = Array(transaction.memberId.utf8)
            let bytes: [UInt8] = try envelope.serializedBytes()
            feeder.send(ProducerRecord(topic: topics.transactions, partition: nil, key: key, value: bytes))
            if garbageEvery > 0, fed % garbageEvery == 0 {
                // Bytes no partner should send: they must reach the dead-letter topic.
                feeder.send(ProducerRecord(topic: topics.transactions, partition: nil, key: key, value: Array(bytes.dropLast(2))))
            }
        }
        try feeder.drain()
        let tally = feeder.snapshot
        guard tally.failed == 0 else {
            throw CLIError("\(tally.failed) records were not acknowledged by Kafka: \(tally.firstFailure ?? "")")
        }
        for (partner, lane) in posLanes.sorted(by: { $0.key < $1.key }) {
            let sent = lane.finish()
            print(
                "\(partner) POS terminals (C partner SDK): \(Format.grouped(Int64(sent.acknowledged))) acknowledged, \(sent.refused) refused by the SDK's validation, \(sent.failed) failed"
            )
            guard sent.failed == 0 else { throw CLIError("POS terminals of \(partner): \(sent.firstProblem ?? "")") }
        }
        await httpPartners.drain()
        for (partner, sent) in httpPartners.totals.sorted(by: { $0.key < $1.key }) {
            print(
                "\(partner) over HTTP (signed, via the gateway): \(Format.grouped(Int64(sent.accepted))) accepted in \(sent.batches) batches and \(sent.singles) single requests, \(sent.refused) refused at the edge, \(sent.failed) failed"
            )
            guard sent.failed == 0 else { throw CLIError("HTTP partner \(partner): \(sent.firstProblem ?? "")") }
        }
        var ends: [Int32: Int64] = [:]
        for partition in 0..<partitions {
            ends[partition] = try KafkaAdmin.watermarks(
                topic: topics.transactions, partition: partition, bootstrapServers: cluster.bootstrapServers,
                timeoutMilliseconds: 10_000, logger: logger
            ).high
        }
        try await pool.waitUntilApplied(ends) { progress.show(feeding: fed, of: transactions, acknowledged: acknowledged(), pool: pool) }
        progress.finish(acknowledged: acknowledged(), pool: pool)
        // Finance reads cycle 2's statements and the flagged partners pay in: cycle 3 takes
        // the top-ups (and the barrier after it would lift a suspension).
        _ = try await clearing.waitUntilSettled(2)
        try topUpLowDeposits(programme: programme, after: 2)
        clearing.requestClose()
        let cycles = [
            try await clearing.waitUntilSettled(1), try await clearing.waitUntilSettled(2), try await clearing.waitUntilSettled(3),
        ]
        try await pool.stop()
        clearing.requestStop()
        try await clearingTask.value
        try await client.shutdown()
        await gatewayGroup.triggerGracefulShutdown()
        try await gatewayTask.value

        // Statuses and pending points as they stand at the end of the synthetic traffic.
        let end = settings.startMilliseconds + settings.days * 86_400_000
        try printReport(shardDirectory: shardDirectory, programme: programme, at: end)
        try printSettlements(cycles, programme: programme)
    }

    private var clearingDirectory: String { "\(data)/clearing" }
    private var clearingStatePath: String { "\(clearingDirectory)/state.sqlite" }
    private var settlementDirectory: String { "\(data)/settlement" }

    /// What finance does when a statement flags a deposit: the partner pays in again. Each
    /// partner whose deposit cycle `cycle` left below its low threshold tops it up by its
    /// full amount (a recorded event, taken by the next cycle to close).
    private func topUpLowDeposits(programme: Programme, after cycle: Int64) throws {
        let manifest = try SettlementSummary(directory: settlementDirectory, cycle: cycle)
        for partner in manifest.lowDeposits {
            guard let deposit = programme.partner(partner)?.deposit else { continue }
            let reference = "dev-topup-\(partner)-cycle-\(cycle + 1)"
            _ = try ClearingAdmin.recordTopUp(
                statePath: clearingStatePath, programme: programme, partner: partner, amountMinor: deposit.amountMinor, reference: reference)
            print(
                "\ncycle \(cycle) flagged \(partner)'s deposit: it tops up \(Format.money(deposit.amountMinor, exponent: programme.currencyExponent)) \(programme.currency) (reference \(reference)), taken by cycle \(cycle + 1)"
            )
        }
    }

    private func startClearingNode(bootstrapServers: String, programme: Programme, logger: Logger) throws -> ClearingNode {
        let key = SigningKeyFile.generate()
        try FileManager.default.createDirectory(atPath: clearingDirectory, withIntermediateDirectories: true)
        try SigningKeyFile.writePrivateKey(key, to: "\(clearingDirectory)/operator.key")
        try SigningKeyFile.writePublicKey(key.publicKey, to: "\(clearingDirectory)/operator.pub")
        let configuration = ClearingConfiguration(
            bootstrapServers: bootstrapServers, statePath: clearingStatePath,
            outputDirectory: settlementDirectory
        )
        return ClearingNode(configuration: configuration, programme: programme, signingKey: key, logger: logger)
    }

    /// Keys for the HTTP partners, written where a user can sign requests of their own.
    private func httpKeys(_ programme: Programme) throws -> [String: PartnerCredentials.Key] {
        var names = try names(httpPartners, option: "--http-partners", default: ["eshop", "airline"], programme)
        if names.isEmpty && httpPartners == nil, let first = programme.partners.first { names = [first.id] }
        return HTTPPartners.issueKeys(for: names)
    }

    /// The partners an option names (each must be one of the programme's), or those of
    /// `defaults` the programme has when the option is not given.
    private func names(_ option: String?, option name: String, default defaults: [String], _ programme: Programme) throws -> [String] {
        guard let option else { return defaults.filter { programme.partner($0) != nil } }
        let names = option.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for partner in names where programme.partner(partner) == nil {
            throw CLIError(
                "\(name): \(partner) is not a partner of the programme (partners: \(programme.partners.map(\.id).joined(separator: ", ")))")
        }
        return names
    }

    private func startGateway(
        bootstrapServers: String, programme: Programme, keys: [String: PartnerCredentials.Key], logger: Logger
    ) throws -> (Gateway, ServiceGroup) {
        let secrets = try JSONEncoder().encode(keys.mapValues { [$0] })
        let path = "\(data)/gateway-secrets.json"
        guard FileManager.default.createFile(atPath: path, contents: secrets, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(path)")
        }
        var configuration = GatewayConfiguration(bootstrapServers: bootstrapServers)
        configuration.port = gatewayPort
        let gateway = try Gateway(
            configuration: configuration, programme: programme, credentials: try PartnerCredentials(keys.mapValues { [$0] }), logger: logger)
        return (gateway, ServiceGroup(services: gateway.services, logger: logger))
    }

    private func printSettlements(_ cycles: [CycleRecord], programme: Programme) throws {
        for record in cycles {
            print("")
            print(try SettlementSummary(directory: settlementDirectory, cycle: record.cycle).render(programme: programme))
        }
        let key = try SigningKeyFile.loadPublicKey(from: "\(clearingDirectory)/operator.pub")
        let report = try SettlementVerifier.verify(directory: settlementDirectory, publicKey: key)
        print("")
        print("settlement files: \(settlementDirectory) (\(report.filesChecked) files; signatures, manifest chain, hashes, sums and counts verified)")
        print("check them yourself: loyalty settlement verify \(settlementDirectory) --public-key \(clearingDirectory)/operator.pub")
    }

    private func printReport(shardDirectory: String, programme: Programme, at end: Int64) throws {
        var all: [ShardTotals] = []
        var members = MemberSummary()
        var reasons: [String: Int64] = [:]
        for file in try ShardFiles.list(in: shardDirectory) {
            let shard = try Shard(path: file.path, partition: file.partition, programme: programme)
            all.append(try shard.totals())
            members = members + (try shard.memberSummary(at: end))
            reasons.merge(try shard.rejectionsByReason(), uniquingKeysWith: +)
            shard.close()
        }
        print("")
        print(Report.outcomes(all, reasons: reasons))
        print("")
        print(Report.partners(all, programme: programme))
        print("")
        print(Report.programmeRules(members, all, programme: programme, at: end))
        print("")
        print(Report.debts(all, programme: programme))
        print("")
        print("shard files: \(shardDirectory)/shard-NNNN.sqlite")
        print("look closer: loyalty ledger inspect --data \(shardDirectory) [--member m-000042]")
    }
}

/// One line of progress on the terminal, rewritten in place when stdout is a terminal.
final class ProgressLine: Sendable {
    private let interactive = isatty(STDOUT_FILENO) == 1
    private let started = DispatchTime.now().uptimeNanoseconds
    /// When not on a terminal, one line every few seconds is enough for a log.
    private let lastPrinted = Mutex<UInt64>(0)

    func show(feeding fed: Int, of total: Int, acknowledged: Int, pool: WorkerPool) {
        let applied = pool.recordsApplied
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let line =
            "fed \(Format.grouped(Int64(fed)))/\(Format.grouped(Int64(total)))  acknowledged \(Format.grouped(Int64(acknowledged)))  applied \(Format.grouped(applied))  \(String(format: "%.1f", seconds)) s"
        if interactive {
            FileHandle.standardOutput.write(Data(("\r" + line).utf8))
        } else {
            let now = DispatchTime.now().uptimeNanoseconds
            let due = lastPrinted.withLock { last in
                guard now - last >= 3_000_000_000 else { return false }
                last = now
                return true
            }
            if due { print(line) }
        }
    }

    func finish(acknowledged: Int, pool: WorkerPool) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if interactive { print("") }
        print(
            "done: \(Format.grouped(Int64(acknowledged))) records acknowledged by Kafka, \(Format.grouped(pool.recordsApplied)) applied by the workers, \(Format.grouped(pool.deadLetters)) dead-lettered, in \(String(format: "%.1f", seconds)) s"
        )
    }
}
