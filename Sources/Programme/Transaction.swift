/// A partner transaction as the ledger sees it: already decoded from the wire, with its
/// ledger time chosen (gateway `received_at`, else partner `occurred_at`).
///
/// Values here are as the partner sent them; range checks against the programme
/// (known partner, amount in (0, 10^12], currency) belong to the ledger rules, which
/// answer a REJECTED outcome naming the field instead of throwing.
public struct Transaction: Sendable, Hashable {
    public var partnerId: String
    public var partnerTxnId: String
    public var memberId: String
    /// Ledger time, UTC milliseconds since the Unix epoch. Never the wall clock.
    public var eventTimeMilliseconds: Int64
    public var body: Body
    /// What the programme's rules read besides the body (cards, statuses, promotions,
    /// redemption rules, retro-claims); all empty for a plain transaction.
    public var details = Details()

    /// The envelope's optional fields, by the rule that reads them (transaction.proto).
    public struct Details: Sendable, Hashable {
        /// The card presented (`card_id`); empty = none. `memberId` is then its account.
        public var cardId = ""
        /// Accruals: qualifying visits and nights for statuses.
        public var visits: Int64 = 0
        public var nights: Int64 = 0
        /// Accruals: the partner's product code (promotions, stamp cards).
        public var product = ""
        /// Accruals: a referral code given at the member's first accrual.
        public var referralCode = ""
        /// Accruals: a retro-claim; `eventTimeMilliseconds` is then the partner's
        /// `occurred_at_ms` and `receivedAtMilliseconds` the gateway's stamp (0 if none).
        public var retroClaim = false
        public var receivedAtMilliseconds: Int64 = 0
        /// The partner's `occurred_at_ms` when the event time is the gateway's
        /// `received_at_ms` (0: the event time is the partner's own). A retry through the
        /// gateway is stamped anew, so only this time is the same on every retry: the
        /// idempotency horizon counts from it (`Transaction.partnerTimeMilliseconds`).
        public var occurredAtMilliseconds: Int64 = 0
        /// Redemptions: the bill the points pay towards (0 = not given).
        public var billAmountMinor: Int64 = 0
        /// Redemptions: a fixed-price reward of the partner's catalogue.
        public var rewardId = ""
        /// Accruals: the company account this purchase also credits (programme `companies`).
        public var companyId = ""
        /// Redemptions at an exchange partner: the member's id in its programme.
        public var externalMemberId = ""
        /// Redemptions of a company account: the authorised user spending it.
        public var authorisedUser = ""

        public init() {}

        /// True when nothing is set: the transaction is a plain one.
        public var isEmpty: Bool { self == Details() }
    }

    /// When the partner says the transaction happened: the same on every retry of it,
    /// wherever it was stamped (docs/design.md, "Bounded hot state").
    public var partnerTimeMilliseconds: Int64 {
        details.occurredAtMilliseconds > 0 ? details.occurredAtMilliseconds : eventTimeMilliseconds
    }

    public enum Body: Sendable, Hashable {
        /// A purchase at the partner that earns points issued by that partner.
        case accrual(amountMinor: Int64, currency: String, category: String)
        /// The member pays `points` at the partner.
        case redemption(points: Int64)
        /// Full or partial refund of an earlier accrual of the same partner and member.
        case refund(originalPartnerTxnId: String, amountMinor: Int64, currency: String)
        /// Cancels an earlier redemption of the same partner and member.
        case cancel(originalPartnerTxnId: String)
        /// An operation on the cards of the member's account (`memberId` is the account).
        case card(CardOperation)

        public var kind: Kind {
            switch self {
            case .accrual: .accrual
            case .redemption: .redemption
            case .refund: .refund
            case .cancel: .cancel
            case .card: .card
            }
        }

        /// The amounts the body carries, by the envelope's field path: each must be in
        /// `FieldLimits.amountRange` (the programme's checks and the ledger's alike).
        public var amounts: [(field: String, value: Int64)] {
            switch self {
            case .accrual(let amountMinor, _, _): [("accrual.amount_minor", amountMinor)]
            case .redemption(let points): [("redemption.points", points)]
            case .refund(_, let amountMinor, _): [("reversal.amount_minor", amountMinor)]
            case .cancel, .card: []
            }
        }

        /// The currency the body carries, if any, by the envelope's field path: it must be
        /// the programme's.
        public var currency: (field: String, value: String)? {
            switch self {
            case .accrual(_, let currency, _): ("accrual.currency", currency)
            case .refund(_, _, let currency): ("reversal.currency", currency)
            case .redemption, .cancel, .card: nil
            }
        }
    }

    /// What a transaction does, with the code the ledger's journal stores (never
    /// renumber: journals on disk hold these) and the name its messages use.
    public enum Kind: Int64, Sendable, CaseIterable {
        case accrual = 0, redemption, refund, cancel, card

        /// "a cancel": how a rejection names the kind of a transaction.
        public var name: String {
            switch self {
            case .accrual: "an accrual"
            case .redemption: "a redemption"
            case .refund: "a refund"
            case .cancel: "a cancel"
            case .card: "a card operation"
            }
        }
    }

    public init(
        partnerId: String,
        partnerTxnId: String,
        memberId: String,
        eventTimeMilliseconds: Int64,
        body: Body,
        details: Details = Details()
    ) {
        self.partnerId = partnerId
        self.partnerTxnId = partnerTxnId
        self.memberId = memberId
        self.eventTimeMilliseconds = eventTimeMilliseconds
        self.body = body
        self.details = details
    }
}
