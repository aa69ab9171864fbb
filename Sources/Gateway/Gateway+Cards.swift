import HTTPTypes
import LoyaltyWire
import Programme
import SwiftProtobuf

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
            try checkCardOperation(operation, account: envelope.memberID, partnerTxnId: envelope.partnerTxnID)
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

    private func checkCardOperation(_ operation: Loyalty_V1_CardOperation, account: String, partnerTxnId: String) throws(EdgeError) {
        if operation.kind == .move, partnerTxnId.utf8.count + Self.moveLinkSuffix.utf8.count > FieldLimits.maxIdBytes {
            throw .badRequest(
                "partner_txn_id",
                "a MOVE's id may have at most \(FieldLimits.maxIdBytes - Self.moveLinkSuffix.utf8.count) bytes: its LINK is sent as <id>\(Self.moveLinkSuffix)"
            )
        }
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

    /// The id of a MOVE's second half: the LINK on the target account.
    static let moveLinkSuffix = ":link"

    static func isMove(_ envelope: Loyalty_V1_TransactionEnvelope) -> Bool {
        if case .card(let operation) = envelope.body { operation.kind == .move } else { false }
    }

    /// The second half of a MOVE sent through the gateway: once the MOVE is ACCEPTED on the
    /// source account, or is a DUPLICATE of an accepted one (a retry completes a move whose
    /// LINK was lost), the LINK of the card on `target_member_id`'s account, id
    /// `<partner_txn_id>:link`, at the MOVE's time; its outcome is the answer's `link`
    /// (null when the MOVE was not accepted, `"result": null` when it timed out).
    func linkAfterMove(_ move: Loyalty_V1_TransactionEnvelope, _ result: Loyalty_V1_TransactionResult, timeoutMilliseconds: Int) async -> String {
        let accepted = result.outcome.status == .accepted || (result.outcome.status == .duplicate && result.original.status == .accepted)
        guard accepted else { return "\"link\":null" }
        var link = Loyalty_V1_TransactionEnvelope()
        link.partnerID = move.partnerID
        link.partnerTxnID = move.partnerTxnID + Self.moveLinkSuffix
        link.memberID = move.card.targetMemberID
        link.occurredAtMs = move.occurredAtMs
        link.receivedAtMs = move.receivedAtMs
        link.traceID = move.traceID
        link.card = .with {
            $0.kind = .link
            $0.cardID = move.card.cardID
        }
        var fields = ["\"partner_txn_id\":\(JSONText.quoted(link.partnerTxnID))"]
        let key = ResultWaiters.Key(partnerId: link.partnerID, partnerTxnId: link.partnerTxnID)
        let slot = waiters.register(key)
        do throws(EdgeError) { _ = try await publish(link) } catch {
            waiters.remove(key, slot)
            fields.append("\"error\":\(error.json)")
            return "\"link\":{" + fields.joined(separator: ",") + "}"
        }
        if let linked = await slot.wait(timeout: .milliseconds(timeoutMilliseconds)) {
            fields += Self.outcomeFields(linked.outcome)
        } else {
            waiters.remove(key, slot)
            fields.append("\"result\":null")
        }
        return "\"link\":{" + fields.joined(separator: ",") + "}"
    }
}
