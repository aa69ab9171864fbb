/// What applying a transaction did. Stored in the shard's journal, so a repeated
/// `(partnerId, partnerTxnId)` gets exactly the same outcome back as `original`.
public struct Outcome: Sendable, Hashable, Codable {
    /// The raw values are what the journal stores; `name` is what partners read.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case accepted, rejected, duplicate

        /// The status as the contract spells it (loyalty.v1.ResultStatus, the gateway's
        /// JSON answers, docs/openapi.yaml): "ACCEPTED", "REJECTED", "DUPLICATE".
        public var name: String { rawValue.uppercased() }
    }

    public var status: Status
    /// Set when `status == .rejected`.
    public var reason: RejectReason?
    /// For people: names the field and the reason ("amount_minor: must be > 0, got 0").
    public var detail: String
    /// Change of the member's balance in points (negative for redemptions and refunds).
    public var pointsDelta: Int64
    /// The member's balance after the transaction; negative after a refund shortfall.
    public var balanceAfter: Int64

    public init(
        status: Status,
        reason: RejectReason? = nil,
        detail: String = "",
        pointsDelta: Int64 = 0,
        balanceAfter: Int64 = 0
    ) {
        self.status = status
        self.reason = reason
        self.detail = detail
        self.pointsDelta = pointsDelta
        self.balanceAfter = balanceAfter
    }

    public static func rejected(_ reason: RejectReason, _ detail: String, balanceAfter: Int64) -> Outcome {
        Outcome(status: .rejected, reason: reason, detail: detail, pointsDelta: 0, balanceAfter: balanceAfter)
    }
}

/// Why a transaction was rejected. Mirrors `loyalty.v1.ReasonCode` one to one. The raw
/// values are the reason names everywhere (the journal, the wire enum's names, the
/// gateway's JSON answers, docs/openapi.yaml): the one list of them. Tests hold the proto
/// enum and the OpenAPI document to it, so a new reason must be added here, in
/// result.proto (with `Loyalty_V1_ReasonCode.init(_:)` in LoyaltyWire/Outcome+Wire.swift)
/// and in docs/openapi.yaml.
public enum RejectReason: String, Sendable, Hashable, Codable, CaseIterable {
    case unknownPartner = "UNKNOWN_PARTNER"
    case invalidAmount = "INVALID_AMOUNT"
    case currencyMismatch = "CURRENCY_MISMATCH"
    case insufficientPoints = "INSUFFICIENT_POINTS"
    case originalNotFound = "ORIGINAL_NOT_FOUND"
    case alreadyReversed = "ALREADY_REVERSED"
    case refundExceedsOriginal = "REFUND_EXCEEDS_ORIGINAL"
    case invalidField = "INVALID_FIELD"
    case wrongOriginalKind = "WRONG_ORIGINAL_KIND"
    /// The event time is more than `idempotency_horizon_days` behind the log time: its key
    /// may have been archived, so a repeat could no longer be told from a new transaction.
    case pastIdempotencyHorizon = "PAST_IDEMPOTENCY_HORIZON"
    /// A refund or cancel more than `reversal_window_days` after its original's event time.
    case pastReversalWindow = "PAST_REVERSAL_WINDOW"
    /// A redemption below the redeeming partner's `redemption.min_points`.
    case belowMinimumRedemption = "BELOW_MINIMUM_REDEMPTION"
    /// A redemption paying more of its bill than the partner's `redemption.max_bill_share_bp`.
    case overBillShare = "OVER_BILL_SHARE"
    /// A redemption naming a reward the partner's catalogue does not have (or other points).
    case unknownReward = "UNKNOWN_REWARD"
    /// A retro-claim more than `claim_window_days` after its event time.
    case pastClaimWindow = "PAST_CLAIM_WINDOW"
    /// A transaction or card operation naming a card the account does not know.
    case unknownCard = "UNKNOWN_CARD"
    /// A transaction naming a blocked card, or an operation on one.
    case cardBlocked = "CARD_BLOCKED"
    /// Enrolling or linking past `max_cards_per_account`.
    case cardLimitReached = "CARD_LIMIT_REACHED"
    /// A transaction naming a card that is on another account or on none.
    case cardNotOnAccount = "CARD_NOT_ON_ACCOUNT"
    /// Enrolling or linking a card that is already on an account.
    case cardAlreadyLinked = "CARD_ALREADY_LINKED"
    /// An accrual at a partner the last barrier suspended: its deposit ran out and the
    /// programme says to refuse (`funding.deposit.when_exhausted`).
    case depositExhausted = "DEPOSIT_EXHAUSTED"
    /// A conversion at an exchange partner that is not a whole number of its blocks.
    case notAConversionBlock = "NOT_A_CONVERSION_BLOCK"
    /// A conversion at an exchange partner without `external_member_id`.
    case missingExternalMemberId = "MISSING_EXTERNAL_MEMBER_ID"
    /// A company account spent by someone not among its authorised users, or an accrual
    /// naming a company the programme does not have.
    case notAuthorisedForCompany = "NOT_AUTHORISED_FOR_COMPANY"
}
