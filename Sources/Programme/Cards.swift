/// Shared accounts and cards (docs/programme.md, "Shared accounts and cards").
/// `max_cards_per_account` must be at least 1 (Programme+Validation) and at most
/// `maxCardsPerAccountLimit` (here): the shard counts an account's active cards on every
/// ENROL and LINK, so the number is bounded.
extension Programme {
    /// The most `max_cards_per_account` may be.
    public static let maxCardsPerAccountLimit = 100

    func checkCards(_ report: (String, String) -> Void) {
        if maxCardsPerAccount > Self.maxCardsPerAccountLimit {
            report("max_cards_per_account", "must be at most \(Self.maxCardsPerAccountLimit), got \(maxCardsPerAccount)")
        }
    }
}

extension Transaction {
    /// An operation on the cards of an account (`Transaction.memberId`), applied by the
    /// shard of the account's partition (the wire's `CardOperation`).
    public struct CardOperation: Sendable, Hashable {
        public var kind: Kind
        public var cardId: String
        /// `.move` only: the account the card moves to.
        public var targetMemberId: String

        public init(_ kind: Kind, cardId: String, targetMemberId: String = "") {
            (self.kind, self.cardId, self.targetMemberId) = (kind, cardId, targetMemberId)
        }

        /// What the operation does to the card (docs/programme.md has the table).
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// A new card, unknown to the shard, on the account.
            case enrol = "ENROL"
            /// A card on no account (unknown to the shard, or unlinked) onto the account.
            case link = "LINK"
            /// The account's active card off it; it can be linked again.
            case unlink = "UNLINK"
            /// The account's active card blocked for good (lost, stolen).
            case block = "BLOCK"
            /// The source half of a move: the card leaves the account for `targetMemberId`,
            /// whose LINK the gateway writes into the target's partition.
            case move = "MOVE"
        }
    }
}
