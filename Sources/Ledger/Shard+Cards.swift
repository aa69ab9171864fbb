extension Shard {
    /// Every card this shard has seen, by card id (`loyalty cards rebuild` republishes the
    /// card directory from these: the shards are the authority, the topic a derived hint).
    public func cards() throws(LedgerError) -> [CardRecord] { try store.allCards() }

    /// The card as this shard knows it; nil if no operation of this partition named it.
    public func card(_ cardId: String) throws(LedgerError) -> CardRecord? { try store.card(cardId) }
}
