import HTTPTypes
import LoyaltyWire
import Programme

/// Card resolution at the edge (docs/programme.md, "Shared accounts and cards"): a
/// transaction naming only a card gets the card's account from the card directory, so it
/// is keyed, like every transaction of the account, to the account's partition.
extension Gateway {
    /// Fills `member_id` of a transaction that names a card and no member; refuses (422)
    /// a card the directory does not know as active. Card operations are checked against
    /// the directory where a shard cannot see another partition: ENROL or LINK of a card
    /// blocked or active on another account. Everything is checked again by the shard.
    func resolveCard(_ envelope: inout Loyalty_V1_TransactionEnvelope) throws(EdgeError) {
        if case .card(let operation) = envelope.body {
            try checkCardOperation(operation, account: envelope.memberID)
            return
        }
        guard !envelope.cardID.isEmpty, envelope.memberID.isEmpty else { return }
        let cardId = envelope.cardID
        guard let entry = cards.lookup(cardId), entry.state != .unlinked else {
            throw EdgeError(
                status: .unprocessableContent, field: "card_id",
                reason: "UNKNOWN_CARD: \(JSONText.quoted(cardId)) is on no account the card directory knows yet; retry, or send member_id")
        }
        guard entry.state == .active else {
            throw EdgeError(status: .unprocessableContent, field: "card_id", reason: "CARD_BLOCKED: \(JSONText.quoted(cardId)) is blocked")
        }
        envelope.memberID = entry.memberId
    }

    private func checkCardOperation(_ operation: Loyalty_V1_CardOperation, account: String) throws(EdgeError) {
        guard operation.kind == .enrol || operation.kind == .link, let entry = cards.lookup(operation.cardID) else { return }
        let id = JSONText.quoted(operation.cardID)
        switch entry.state {
        case .blocked:
            throw EdgeError(status: .unprocessableContent, field: "card.card_id", reason: "CARD_BLOCKED: \(id) is blocked")
        case .active where entry.memberId != account:
            throw EdgeError(
                status: .unprocessableContent, field: "card.card_id",
                reason: "CARD_ALREADY_LINKED: \(id) is on another account; MOVE it from there")
        case .active, .unlinked:
            return
        }
    }
}
