import Programme

/// A card as the shard of its account's partition knows it (the `cards` table): the shard
/// is the authority on which cards an account holds. The card directory (the
/// `loyalty.cards` topic) is a routing hint derived from these rows.
public struct CardRecord: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// On `memberId`'s account: transactions naming it are applied to that account.
        case active
        /// Lost or stolen, for good: transactions naming it are refused, it cannot be linked.
        case blocked
        /// Taken off `memberId`'s account (UNLINK, or the source half of a MOVE): it may be
        /// linked again, to any account.
        case unlinked
    }

    public var cardId: String
    /// The account the card is on (`.unlinked`: the account it left).
    public var memberId: String
    public var state: State
    /// The event time of the operation that set `state`.
    public var changedAtMilliseconds: Int64
    /// The offset of that operation (its journal row).
    public var changedOffset: Int64

    public init(cardId: String, memberId: String, state: State, changedAtMilliseconds: Int64, changedOffset: Int64) {
        (self.cardId, self.memberId, self.state) = (cardId, memberId, state)
        (self.changedAtMilliseconds, self.changedOffset) = (changedAtMilliseconds, changedOffset)
    }
}

/// Shared accounts and cards (docs/programme.md, "Shared accounts and cards"): the card
/// operations of an account, and the check of a transaction that names a card. Both read
/// only the shard (`RuleInputs.card`), so a replay decides the same.
extension LedgerRules {
    /// A transaction naming a card (`details.cardId`) is applied only if the card is
    /// active on `memberId`'s account at this point of the log. Accruals and redemptions
    /// are checked; reversals follow their original (its account), so a card blocked or
    /// moved since does not stop a refund.
    func checkCard(_ t: Transaction, inputs: some RuleInputs) throws {
        let cardId = t.details.cardId
        switch t.body {
        case .accrual, .redemption: guard !cardId.isEmpty else { return }
        case .refund, .cancel, .card: return
        }
        guard let card = try inputs.card(cardId) else {
            throw Rejection(.unknownCard, "card_id: \"\(cardId)\" is not enrolled on any account of this partition")
        }
        guard card.memberId == t.memberId, card.state != .unlinked else {
            throw Rejection(.cardNotOnAccount, "card_id: \"\(cardId)\" is not on account \"\(t.memberId)\"")
        }
        guard card.state == .active else {
            throw Rejection(.cardBlocked, "card_id: \"\(cardId)\" was blocked at \(card.changedAtMilliseconds) ms")
        }
    }

    /// ENROL, LINK, UNLINK, BLOCK or MOVE (its source half) of a card on `t.memberId`'s
    /// account. Changes no points: the journal row carries the spendable balance.
    func applyCard(
        _ t: Transaction, _ operation: Transaction.CardOperation, offset: Int64, member: MemberState, inputs: some RuleInputs,
        into effects: inout Effects
    ) throws {
        let account = t.memberId
        let cardId = operation.cardId
        let card = try inputs.card(cardId)
        let state: CardRecord.State
        switch operation.kind {
        case .enrol, .link:
            try checkLinkable(card, operation, account: account)
            let active = try inputs.activeCardCount(ofAccount: account)
            guard active < programme.maxCardsPerAccount else {
                throw Rejection(
                    .cardLimitReached,
                    "card.card_id: account \"\(account)\" already holds \(active) active cards, the programme's max_cards_per_account")
            }
            state = .active
        case .unlink, .block, .move:
            if operation.kind == .move, operation.targetMemberId == account {
                throw Rejection(.invalidField, "card.target_member_id: must be another account than member_id \"\(account)\"")
            }
            guard let card else {
                throw Rejection(.unknownCard, "card.card_id: \"\(cardId)\" is not enrolled on any account of this partition")
            }
            guard card.memberId == account, card.state != .unlinked else {
                throw Rejection(.cardNotOnAccount, "card.card_id: \"\(cardId)\" is not on account \"\(account)\"")
            }
            guard card.state == .active else {
                throw Rejection(.cardBlocked, "card.card_id: \"\(cardId)\" was blocked at \(card.changedAtMilliseconds) ms")
            }
            state = operation.kind == .block ? .blocked : .unlinked
        }
        let lots = try inputs.lotsIfNeeded(account, member, at: t.eventTimeMilliseconds)
        effects.card = CardRecord(
            cardId: cardId, memberId: account, state: state, changedAtMilliseconds: t.eventTimeMilliseconds, changedOffset: offset)
        effects.record = JournalRecord(
            kind: .card,
            outcome: Outcome(
                status: .accepted, detail: Self.cardDetail(operation, state),
                balanceAfter: LedgerRules.spendable(member, lots: lots, at: t.eventTimeMilliseconds)))
    }

    /// ENROL takes a card the partition has never seen; LINK also one that was unlinked.
    private func checkLinkable(_ card: CardRecord?, _ operation: Transaction.CardOperation, account: String) throws(Rejection) {
        guard let card else { return }
        let id = operation.cardId
        switch card.state {
        case .blocked:
            throw Rejection(.cardBlocked, "card.card_id: \"\(id)\" was blocked at \(card.changedAtMilliseconds) ms and cannot be linked")
        case .active where card.memberId == account:
            throw Rejection(.cardAlreadyLinked, "card.card_id: \"\(id)\" is already on account \"\(account)\"")
        case .active:
            throw Rejection(.cardAlreadyLinked, "card.card_id: \"\(id)\" is on another account; MOVE it from there")
        case .unlinked where operation.kind == .enrol:
            throw Rejection(.cardAlreadyLinked, "card.card_id: \"\(id)\" was enrolled before; LINK it instead")
        case .unlinked:
            return
        }
    }

    /// The accepted outcome's detail: what happened to the card.
    private static func cardDetail(_ operation: Transaction.CardOperation, _ state: CardRecord.State) -> String {
        switch operation.kind {
        case .move: "card \(operation.cardId) \(state.rawValue), moving to account \(operation.targetMemberId)"
        default: "card \(operation.cardId) \(state.rawValue)"
        }
    }
}
