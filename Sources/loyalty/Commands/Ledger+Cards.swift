import ArgumentParser
import Foundation
import Kafka
import Ledger
import LoyaltyWire
import Programme
import SwiftProtobuf

extension LedgerCommand {
    struct Cards: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the shards' cards, or republish them to the card directory topic.",
            discussion: """
                The shard of an account's partition is the authority on its cards; the \
                loyalty.cards topic is derived from them (docs/programme.md, "Shared accounts \
                and cards"). Without --publish: one line per card (card, account, state, when). \
                With --publish: one record per card to loyalty.cards (LINK for an active card, \
                BLOCK for a blocked one, UNLINK for one that left its account), which is how \
                the directory is rebuilt when the topic was lost. Run it against every \
                worker's data directory; the shards are only read.
                """
        )

        @OptionGroup var shards: ShardsOption
        @OptionGroup var programme: ProgrammeOption
        @Flag(help: "Publish every card to the card directory topic (needs Kafka).") var publish = false
        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var log: LogOptions

        func run() async throws {
            let programme = try programme.load()
            var cards: [CardRecord] = []
            for file in try shards.files() {
                let shard = try Shard(path: file.path, partition: file.partition, programme: programme)
                defer { shard.close() }
                cards += try shard.cards()
            }
            guard publish else {
                for card in cards {
                    print("\(card.cardId)\t\(card.memberId)\t\(card.state.rawValue)\t\(card.changedAtMilliseconds)")
                }
                print("\(cards.count) card(s)")
                return
            }
            let logger = try log.bootstrap(label: "loyalty.ledger.cards")
            var configuration = ProducerConfiguration(bootstrapServers: try kafka.resolvedBootstrapServers())
            configuration.extra = try kafka.extra()
            let producer = try KafkaProducer(configuration: configuration, logger: logger)
            defer { producer.shutdown() }
            let feeder = Feeder(producer: producer)
            let topic = LoyaltyWire.Topics().cards
            for card in cards {
                feeder.send(ProducerRecord(topic: topic, partition: nil, key: Array(card.cardId.utf8), value: try Self.record(card)))
            }
            try feeder.drain()
            let tally = feeder.snapshot
            print("published \(tally.acknowledged) of \(cards.count) card(s) to \(topic); \(tally.failed) failed")
            if tally.failed > 0 { throw CLIError("\(tally.failed) record(s) were not acknowledged by Kafka: \(tally.firstFailure ?? "")") }
        }

        /// The directory record of a card as its shard holds it: the operation that leaves a
        /// card in that state, at the time it changed.
        static func record(_ card: CardRecord) throws -> [UInt8] {
            let kind: Transaction.CardOperation.Kind =
                switch card.state {
                case .active: .link
                case .blocked: .block
                case .unlinked: .unlink
                }
            let operation = Transaction(
                partnerId: "directory-rebuild", partnerTxnId: "rebuild-\(card.changedOffset)", memberId: card.memberId,
                eventTimeMilliseconds: card.changedAtMilliseconds, body: .card(Transaction.CardOperation(kind, cardId: card.cardId)))
            return try Loyalty_V1_TransactionEnvelope(operation).serializedBytes()
        }
    }
}
