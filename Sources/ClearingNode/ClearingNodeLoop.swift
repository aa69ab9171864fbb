import Clearing
import Crypto
import Foundation
import Kafka
import Logging
import LoyaltyWire
import Programme
import Prometheus
import SettlementFiles
import SwiftProtobuf

/// The clearing node's loop, on one dedicated thread (SQLite and librdkafka calls block):
/// collect shard positions, close cycles when due or asked, settle a CLOSING cycle once
/// every partition has reported and every check passes.
final class ClearingNodeLoop {
    private let configuration: ClearingConfiguration
    private let programme: Programme
    private let signingKey: Curve25519.Signing.PrivateKey
    private let logger: Logger
    private let control: ClearingNode.Control
    private let store: ClearingStore
    private let producer: KafkaProducer
    private let closer: CycleCloser
    private let metrics: ClearingMetrics
    private var nextObservationMilliseconds: Int64 = 0
    private var deliveryErrorsSeen: Int64 = 0

    init(
        configuration: ClearingConfiguration, programme: Programme, signingKey: Curve25519.Signing.PrivateKey,
        logger: Logger, control: ClearingNode.Control, metrics: ClearingMetrics
    ) throws {
        self.metrics = metrics
        self.configuration = configuration
        self.programme = programme
        self.signingKey = signingKey
        self.logger = logger
        self.control = control
        store = try ClearingStore(path: configuration.statePath)
        var producerConfiguration = ProducerConfiguration(bootstrapServers: configuration.bootstrapServers)
        producerConfiguration.clientId = "loyalty-clearing"
        producerConfiguration.extra = configuration.kafkaExtra
        producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        closer = CycleCloser(store: store, producer: producer, topics: configuration.topics)
    }

    func run() throws {
        var consumerConfiguration = ConsumerConfiguration(
            bootstrapServers: configuration.bootstrapServers, groupId: configuration.groupId,
            topics: [configuration.topics.positions]
        )
        consumerConfiguration.clientId = "loyalty-clearing"
        consumerConfiguration.extra = configuration.kafkaExtra
        // No listener: nothing is committed, so every start reads the positions topic
        // from its beginning; storing a position is idempotent.
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, listener: nil, logger: logger)
        defer {
            metrics.storeOpened(false)
            metrics.consumingPositions(false)
            consumer.close()
            producer.shutdown()
            store.close()
        }
        metrics.storeOpened(true)
        try resumeUnfinishedCycles()
        publishStatus()
        while !control.stopRequested {
            for record in try consumer.poll(maxRecords: 1_000, timeoutMilliseconds: 200) {
                try receivePosition(record)
            }
            observeIfDue(consumer)
            if control.takeCloseRequest() || isDue() {
                let record = try closer.closeNext(nowMilliseconds: Self.nowMilliseconds())
                logger.notice("cycle closing: barriers written", metadata: ["cycle": "\(record.cycle)", "partitions": "\(record.partitions)"])
            }
            for record in try store.cycles(status: .closing) where record.barriersSent && record.waitingFor.isEmpty {
                try settle(record)
            }
            publishStatus()
        }
    }

    // MARK: - Steps

    private func resumeUnfinishedCycles() throws {
        for record in try store.cycles(status: .closing) where !record.barriersSent {
            logger.notice("resending the barriers of an unfinished close", metadata: ["cycle": "\(record.cycle)"])
            try closer.sendBarriers(record)
        }
        for record in try store.cycles(status: .settling) {
            logger.notice("finishing a settlement interrupted after its files were written", metadata: ["cycle": "\(record.cycle)"])
            try settle(record)
        }
    }

    /// Once a second: whether the positions topic is assigned, the producer's figures.
    private func observeIfDue(_ consumer: KafkaConsumer) {
        let now = Self.nowMilliseconds()
        guard now >= nextObservationMilliseconds else { return }
        nextObservationMilliseconds = now + 1_000
        metrics.consumingPositions(!consumer.assignment.isEmpty)
        metrics.producerQueueDepth.set(Int64(producer.queueLength))
        let errors = producer.deliveryErrors
        if errors > deliveryErrorsSeen { metrics.deliveryErrors.increment(by: errors - deliveryErrorsSeen) }
        deliveryErrorsSeen = errors
    }

    private func receivePosition(_ record: ConsumerRecord) throws {
        metrics.positionsReceived.increment()
        guard let position = (try? Loyalty_V1_ShardPosition(serializedBytes: record.value)).map(CyclePosition.init) else {
            logger.error("undecodable record on the positions topic; ignored", metadata: ["offset": "\(record.offset)"])
            return
        }
        switch try store.insertPosition(position) {
        case .stored, .alreadyKnown:
            break
        case .conflict:
            let reason = "partition \(position.partition) published two different positions for cycle \(position.cycle)"
            logger.critical("cycle failed", metadata: ["cycle": "\(position.cycle)", "reason": "\(reason)"])
            try store.markFailed(position.cycle, reason: reason)
        }
    }

    private func isDue() -> Bool {
        guard let last = try? store.cycle(store.lastCycle() ?? 0) else {
            // No cycle yet: the schedule counts from the node's first start.
            return configuration.schedule.nextDue(afterMilliseconds: control.startedAtMilliseconds)
                .map { Self.nowMilliseconds() >= $0 } ?? false
        }
        return configuration.schedule.nextDue(afterMilliseconds: last.closedAtMilliseconds).map { Self.nowMilliseconds() >= $0 } ?? false
    }

    /// Checks, writes the files, publishes the instruction events, records SETTLED. Safe to
    /// run again after a crash at any point: the files come out byte-identical and events
    /// already on the settlements topic are not published twice.
    private func settle(_ record: CycleRecord) throws {
        let previous = record.cycle > 1 ? try store.cycle(record.cycle - 1) : nil
        if record.cycle > 1, previous?.status != .settled {
            // Cycles settle in order: the manifest chain needs the previous hash.
            if previous?.status == .failed, record.status == .closing {
                try store.markFailed(record.cycle, reason: ClearingStore.failedBehind(record.cycle - 1))
            }
            return
        }
        let check = CycleCheck(
            cycle: record.cycle, closedAtMilliseconds: record.closedAtMilliseconds, partitions: record.partitions,
            positions: try store.positions(record.cycle),
            previousPositions: record.cycle > 1 ? try store.positions(record.cycle - 1) : [:],
            previousClosedAtMilliseconds: previous?.closedAtMilliseconds ?? 0,
            previousManifestSHA256: previous?.manifestSHA256
        )
        if let problem = check.problem(programme: programme) {
            logger.critical("cycle failed its checks; nothing settled", metadata: ["cycle": "\(record.cycle)", "reason": "\(problem)"])
            try store.markFailed(record.cycle, reason: problem)
            return
        }
        let settlement: CycleSettlement
        let files: [SettlementFile]
        do {
            var input = check.settlementInput(programme: programme)
            try store.addEconomics(to: &input, programme: programme)
            settlement = try CycleSettlement.settle(input, mode: configuration.mode)
            files = try SettlementWriter.write(settlement, to: configuration.outputDirectory, signingKey: signingKey)
            try store.recordDeposits(cycle: record.cycle, settlement.economics)
        } catch {
            try store.markFailed(record.cycle, reason: "settlement: \(error)")
            return
        }
        metrics.settlementFiles.increment(by: Int64(files.count))
        try failpoint("after-files")
        let manifest = files.first { $0.name == SettlementFileName.manifest(cycle: record.cycle) }!
        let manifestSHA256 = SHA256.hash(data: manifest.bytes).map { String(format: "%02x", $0) }.joined()
        let settlementsHigh = try AdminQueries.highWatermark(
            topic: configuration.topics.settlements, configuration: configuration, logger: logger
        )
        try store.markSettling(
            record.cycle, manifestSHA256: manifestSHA256, eventsFromOffset: settlementsHigh,
            instructionCount: settlement.instructions.count
        )
        let from = try store.cycle(record.cycle)?.eventsFromOffset ?? settlementsHigh
        try publishEvents(settlement, manifestSHA256: manifestSHA256, from: from)
        try failpoint("after-events")
        try store.markSettled(record.cycle)
        logger.notice(
            "cycle settled",
            metadata: [
                "cycle": "\(record.cycle)", "instructions": "\(settlement.instructions.count)",
                "manifest_sha256": "\(manifestSHA256)",
            ]
        )
    }

    private func publishEvents(_ settlement: CycleSettlement, manifestSHA256: String, from offset: Int64) throws {
        let cycle = settlement.input.cycle
        let already = try SettlementEventScan.sequences(
            cycle: cycle, from: offset, configuration: configuration, logger: logger
        )
        let count = Int32(settlement.instructions.count)
        let records = try settlement.instructions.filter { !already.contains(Int32($0.sequence)) }.map { instruction in
            let event = Loyalty_V1_SettlementInstruction.with {
                $0.cycle = cycle
                $0.sequence = Int32(instruction.sequence)
                $0.count = count
                $0.payer = instruction.payer
                $0.payee = instruction.payee
                $0.amountMinor = instruction.amountMinor
                $0.currency = settlement.input.currency.code
                $0.manifestSha256 = manifestSHA256
            }
            return ProducerRecord(
                topic: configuration.topics.settlements, partition: 0, key: Array(String(cycle).utf8),
                value: try event.serializedBytes()
            )
        }
        if !records.isEmpty {
            _ = try producer.sendAllBlocking(records, timeoutMilliseconds: 30_000)
            metrics.instructionEvents.increment(by: Int64(records.count))
        }
    }

    private func failpoint(_ name: String) throws {
        guard configuration.failpoint == name else { return }
        logger.critical("failpoint \(name): exiting without cleanup")
        exit(86)
    }

    private func publishStatus() {
        guard let cycles = try? store.cycles() else { return }
        control.publish(cycles)
        metrics.observe(cycles, nowMilliseconds: Self.nowMilliseconds())
    }

    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down))
    }
}
