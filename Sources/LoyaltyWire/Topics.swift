/// Names of the topics the clearing house uses: part of the contract with partners
/// (docs/partners.md) and between the nodes.
public struct Topics: Sendable, Equatable {
    /// Partner transactions and the clearing node's barriers; keyed by member id.
    public var transactions = "loyalty.transactions"
    /// One TransactionResult per transaction and per balance inquiry.
    public var results = "loyalty.results"
    /// ShardPosition per (cycle, partition), keyed by cycle.
    public var positions = "loyalty.positions"
    /// Records that could not be applied, with the reason.
    public var deadLetters = "loyalty.dead-letters"
    /// SettlementInstruction events of settled cycles.
    public var settlements = "loyalty.settlements"
    /// The card directory: every card operation a shard accepted, keyed by card id,
    /// compacted (docs/programme.md, "Shared accounts and cards"). A routing hint for the
    /// gateway; the shards are the authority.
    public var cards = "loyalty.cards"

    public init() {}
}
