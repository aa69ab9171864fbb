/// What applying a transaction did. Stored in the shard's journal, so a repeated
/// `(partnerId, partnerTxnId)` gets exactly the same outcome back as `original`.
public struct Outcome: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case accepted, rejected, duplicate
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

/// Why a transaction was rejected. Mirrors `loyalty.v1.ReasonCode` one to one.
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
}
