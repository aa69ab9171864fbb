import SQLite

/// The `cards` table (migration 10): which cards each account of the shard holds. Read
/// and written inside the batch's SQL transaction (a card operation is rare next to the
/// transactions that name a card, and each is one primary-key lookup), so there is no
/// cache to keep in step with a rollback.
extension LedgerStore {
    func card(_ cardId: String) throws(LedgerError) -> CardRecord? {
        let s = try db.prepare("SELECT member_id, state, changed_at, changed_offset FROM cards WHERE card_id = ?")
        defer { s.reset() }
        s.bindText(1, cardId)
        guard try s.step() else { return nil }
        let text = s.text(1)
        guard let state = CardRecord.State(rawValue: text) else {
            throw LedgerError(.corrupt, "card \(cardId) has state \"\(text)\" in \(db.path); rebuild the shard from the log")
        }
        return CardRecord(
            cardId: cardId, memberId: s.text(0), state: state, changedAtMilliseconds: s.int64(2), changedOffset: s.int64(3))
    }

    func activeCardCount(ofAccount memberId: String) throws(LedgerError) -> Int {
        let s = try db.prepare("SELECT COUNT(*) FROM cards WHERE member_id = ? AND state = 'active'")
        defer { s.reset() }
        s.bindText(1, memberId)
        _ = try s.step()
        return Int(s.int64(0))
    }

    /// A card operation's result (`Effects.card`): the card's one row, replaced.
    func writeCard(_ card: CardRecord) throws(LedgerError) {
        try db.prepare("INSERT OR REPLACE INTO cards (card_id, member_id, state, changed_at, changed_offset) VALUES (?, ?, ?, ?, ?)")
            .bind(
                .text(card.cardId), .text(card.memberId), .text(card.state.rawValue), .integer(card.changedAtMilliseconds),
                .integer(card.changedOffset)
            ).run()
    }

    /// Every card of the shard, by card id: what the card directory is rebuilt from.
    func allCards() throws(LedgerError) -> [CardRecord] {
        let s = try db.prepare("SELECT card_id, member_id, state, changed_at, changed_offset FROM cards ORDER BY card_id")
        defer { s.reset() }
        var cards: [CardRecord] = []
        while try s.step() {
            guard let state = CardRecord.State(rawValue: s.text(2)) else {
                throw LedgerError(.corrupt, "card \(s.text(0)) has state \"\(s.text(2))\" in \(db.path); rebuild the shard from the log")
            }
            cards.append(
                CardRecord(cardId: s.text(0), memberId: s.text(1), state: state, changedAtMilliseconds: s.int64(3), changedOffset: s.int64(4)))
        }
        return cards
    }
}
