import Foundation
import Kafka
import Logging
import LoyaltyWire
import NodeRuntime
import Programme
import ServiceLifecycle
import Synchronization

/// The card directory as this gateway knows it: card id → account, read from the compacted
/// `loyalty.cards` topic (every card operation a shard accepted, keyed by card id) on a
/// dedicated thread, from the beginning, by every gateway instance (its own consumer group).
///
/// Only a routing hint (docs/programme.md, "Shared accounts and cards"): a transaction that
/// names only a card gets its account from here, and the shard of that account checks the
/// card again at its point of the log. A stale entry can make the shard refuse
/// (CARD_NOT_ON_ACCOUNT), never apply to the wrong account.
public final class CardDirectory: Service, Sendable {
    public struct Entry: Sendable, Equatable {
        public enum State: String, Sendable {
            case active, blocked, unlinked
        }

        public var memberId: String
        public var state: State
        /// The event time of the operation the entry comes from.
        public var changedAtMilliseconds: Int64

        public init(memberId: String, state: State, changedAtMilliseconds: Int64) {
            (self.memberId, self.state, self.changedAtMilliseconds) = (memberId, state, changedAtMilliseconds)
        }
    }

    /// Bound on the cards held (about 100 bytes each): past it new cards are not added (a
    /// transaction naming one is refused UNKNOWN_CARD, logged), known ones still change.
    public static let maxEntries = 20_000_000

    private let bootstrapServers: String
    private let topic: String
    private let extra: [String: String]
    private let logger: Logger
    private let stop = Atomic<Bool>(false)
    private let entries = Mutex<[String: Entry]>([:])
    /// Records applied since the start: readiness of tests and metrics.
    private let applied = Atomic<Int>(0)

    init(bootstrapServers: String, topic: String, extra: [String: String], logger: Logger) {
        self.bootstrapServers = bootstrapServers
        self.topic = topic
        self.extra = extra
        self.logger = logger
    }

    /// The card's entry; nil when no record of it was read (yet).
    public func lookup(_ cardId: String) -> Entry? { entries.withLock { $0[cardId] } }

    /// Directory records applied so far.
    public var recordsApplied: Int { applied.load(ordering: .relaxed) }

    /// Applies one record of the cards topic (an envelope of an accepted card operation);
    /// false when it is not one (skipped).
    @discardableResult
    public func apply(_ value: [UInt8]) -> Bool {
        guard case .success(.transaction(let t, _)) = InboundMessage.decode(value), case .card(let operation) = t.body else {
            return false
        }
        let entry = Entry(memberId: t.memberId, state: Self.state(after: operation.kind), changedAtMilliseconds: t.eventTimeMilliseconds)
        let full = entries.withLock { map -> Bool in
            guard map[operation.cardId] != nil || map.count < Self.maxEntries else { return true }
            map[operation.cardId] = Self.merged(map[operation.cardId], entry)
            return false
        }
        if full { logger.error("card directory full (\(Self.maxEntries) cards): \(operation.cardId) not added") }
        applied.add(1, ordering: .relaxed)
        return true
    }

    static func state(after kind: Transaction.CardOperation.Kind) -> Entry.State {
        switch kind {
        case .enrol, .link: .active
        case .block: .blocked
        case .unlink, .move: .unlinked
        }
    }

    /// The entry after `new` arrived: the newest wins, except that a card blocked stays
    /// blocked, and that a card leaving account S (UNLINK, MOVE) does not undo its LINK on
    /// another account T: the two halves of a move come from two partitions' workers and
    /// may reach the topic in either order.
    public static func merged(_ old: Entry?, _ new: Entry) -> Entry {
        guard let old else { return new }
        if old.state == .blocked { return old }
        if new.state == .unlinked, old.state == .active, old.memberId != new.memberId { return old }
        return new
    }

    public func run() async throws {
        try await DedicatedThread.run(name: "gateway-cards", stop: { self.stop.store(true, ordering: .relaxed) }) { try self.loop() }
    }

    private func loop() throws {
        // Its own group, from the beginning: every instance reads the whole directory.
        var configuration = ConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupId: "loyalty-gateway-cards-\(UUID().uuidString.lowercased())", topics: [topic])
        configuration.clientId = "loyalty-gateway-cards"
        configuration.autoOffsetReset = .earliest
        configuration.sessionTimeoutMilliseconds = 6_000
        configuration.fetchWaitMilliseconds = 100
        configuration.extra = extra
        let consumer = try KafkaConsumer(configuration: configuration, listener: nil, logger: logger)
        defer { consumer.close() }
        while !stop.load(ordering: .relaxed) {
            let records: [ConsumerRecord]
            do {
                records = try consumer.poll(maxRecords: 10_000, timeoutMilliseconds: 100)
            } catch {
                logger.error("card directory poll failed: \(error)")
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            for record in records where !apply(record.value) {
                logger.warning("not a card operation on \(record.topic)[\(record.partition)]@\(record.offset): skipped")
            }
        }
    }
}
