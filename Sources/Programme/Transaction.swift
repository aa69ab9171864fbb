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

    public enum Body: Sendable, Hashable {
        /// A purchase at the partner that earns points issued by that partner.
        case accrual(amountMinor: Int64, currency: String, category: String)
        /// The member pays `points` at the partner.
        case redemption(points: Int64)
        /// Full or partial refund of an earlier accrual of the same partner and member.
        case refund(originalPartnerTxnId: String, amountMinor: Int64, currency: String)
        /// Cancels an earlier redemption of the same partner and member.
        case cancel(originalPartnerTxnId: String)
    }

    public init(
        partnerId: String,
        partnerTxnId: String,
        memberId: String,
        eventTimeMilliseconds: Int64,
        body: Body
    ) {
        self.partnerId = partnerId
        self.partnerTxnId = partnerTxnId
        self.memberId = memberId
        self.eventTimeMilliseconds = eventTimeMilliseconds
        self.body = body
    }
}
