import Programme

extension Loyalty_V1_Outcome {
    public init(_ outcome: Outcome) {
        self.init()
        status = Loyalty_V1_ResultStatus(outcome.status)
        reason = outcome.reason.map(Loyalty_V1_ReasonCode.init) ?? .unspecified
        reasonDetail = outcome.detail
        pointsDelta = outcome.pointsDelta
        balanceAfter = outcome.balanceAfter
    }
}

extension Outcome.Status {
    /// The domain status of a wire status; nil for RESULT_STATUS_UNSPECIFIED and values
    /// this build does not know.
    public init?(_ status: Loyalty_V1_ResultStatus) {
        guard let match = Self.allCases.first(where: { Loyalty_V1_ResultStatus($0) == status }) else { return nil }
        self = match
    }
}

extension RejectReason {
    /// The domain reason of a wire reason code; nil for REASON_UNSPECIFIED and codes this
    /// build does not know.
    public init?(_ reason: Loyalty_V1_ReasonCode) {
        guard let match = Self.allCases.first(where: { Loyalty_V1_ReasonCode($0) == reason }) else { return nil }
        self = match
    }
}

extension Loyalty_V1_ResultStatus {
    public init(_ status: Outcome.Status) {
        switch status {
        case .accepted: self = .accepted
        case .rejected: self = .rejected
        case .duplicate: self = .duplicate
        }
    }
}

extension Loyalty_V1_ReasonCode {
    public init(_ reason: RejectReason) {
        switch reason {
        case .unknownPartner: self = .unknownPartner
        case .invalidAmount: self = .invalidAmount
        case .currencyMismatch: self = .currencyMismatch
        case .insufficientPoints: self = .insufficientPoints
        case .originalNotFound: self = .originalNotFound
        case .alreadyReversed: self = .alreadyReversed
        case .refundExceedsOriginal: self = .refundExceedsOriginal
        case .invalidField: self = .invalidField
        case .wrongOriginalKind: self = .wrongOriginalKind
        case .pastIdempotencyHorizon: self = .pastIdempotencyHorizon
        case .pastReversalWindow: self = .pastReversalWindow
        case .belowMinimumRedemption: self = .belowMinimumRedemption
        case .overBillShare: self = .overBillShare
        case .unknownReward: self = .unknownReward
        case .pastClaimWindow: self = .pastClaimWindow
        case .unknownCard: self = .unknownCard
        case .cardBlocked: self = .cardBlocked
        case .cardLimitReached: self = .cardLimitReached
        case .cardNotOnAccount: self = .cardNotOnAccount
        case .cardAlreadyLinked: self = .cardAlreadyLinked
        case .depositExhausted: self = .depositExhausted
        case .notAConversionBlock: self = .notAConversionBlock
        case .missingExternalMemberId: self = .missingExternalMemberID
        case .notAuthorisedForCompany: self = .notAuthorisedForCompany
        }
    }
}
