import Programme

/// What the clearing settles a partner by, beyond the ledger's debts: taken from the
/// programme (`PartnerTerms(partner:programme:)`), or built by hand in tests.
public struct PartnerTerms: Sendable, Hashable {
    public var partnerId: String
    public var fundingModel: FundingModel
    /// The fixed fee it owes the operator every cycle (`fees.per_cycle_minor`).
    public var cycleFeeMinor: Int64
    public var deposit: Deposit?
    public var exposureCapMinor: Int64?
    /// What a point it issued is worth: the programme's `point_value_minor` (issuers owe it).
    public var pointValueMinor: Int64
    /// What a point redeemed at it is worth to it (its redemption point value, else the programme's).
    public var redemptionPointValueMinor: Int64

    public init(
        partnerId: String, fundingModel: FundingModel = .onRedemption, cycleFeeMinor: Int64 = 0, deposit: Deposit? = nil,
        exposureCapMinor: Int64? = nil, pointValueMinor: Int64, redemptionPointValueMinor: Int64? = nil
    ) {
        self.partnerId = partnerId
        self.fundingModel = fundingModel
        self.cycleFeeMinor = cycleFeeMinor
        self.deposit = deposit
        self.exposureCapMinor = exposureCapMinor
        self.pointValueMinor = pointValueMinor
        self.redemptionPointValueMinor = redemptionPointValueMinor ?? pointValueMinor
    }

    /// The terms of a programme's partner.
    public init(partner: Programme.Partner, programme: Programme) {
        self.init(
            partnerId: partner.id, fundingModel: partner.fundingModel, cycleFeeMinor: partner.fees.perCycleMinor, deposit: partner.deposit,
            exposureCapMinor: partner.exposureCapMinor, pointValueMinor: programme.pointValueMinor,
            redemptionPointValueMinor: programme.settlementPointValueMinor(partner: partner))
    }
}

/// Money a partner paid into its deposit outside the cycles (a bank transfer), recorded
/// with `loyalty clearing top-up` under its payment reference.
public struct DepositTopUp: Sendable, Hashable {
    public var reference: String
    public var amountMinor: Int64

    public init(reference: String, amountMinor: Int64) {
        self.reference = reference
        self.amountMinor = amountMinor
    }

    /// The most bytes of a reference.
    public static let maxReferenceBytes = 64

    /// 1-64 ASCII letters, digits, `.`, `_`, `-`, `/` or `:`: a reference names a statement
    /// row (no CSV quoting) and is typed by people from a bank statement.
    public static func isValidReference(_ reference: String) -> Bool {
        let bytes = Array(reference.utf8)
        return (1...maxReferenceBytes).contains(bytes.count)
            && bytes.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || Array(".-_/:".utf8).contains(byte)
            }
    }
}

/// A deposit as a cycle opens it: the previous cycle's closing balance (the programme's
/// `amount_minor` in the partner's first cycle) and the top-ups recorded for this cycle.
public struct DepositOpening: Sendable, Hashable {
    public var partnerId: String
    public var openingMinor: Int64
    public var topUps: [DepositTopUp]

    public init(partnerId: String, openingMinor: Int64, topUps: [DepositTopUp] = []) {
        self.partnerId = partnerId
        self.openingMinor = openingMinor
        self.topUps = topUps
    }
}

/// A deposit's movements in one cycle (docs/finance.md, "Deposits").
public struct DepositFigures: Sendable, Hashable {
    public var openingMinor: Int64
    /// In the order recorded.
    public var topUps: [DepositTopUp]
    public var toppedUpMinor: Int64
    /// What the deposit paid of the value of the points the partner issued (operator-funded
    /// partners only; its debt to the operator is reduced by this much).
    public var drawnMinor: Int64
    /// opening + topped up − drawn; never below `frozenMinor` when it started at or above it.
    public var closingMinor: Int64
    public var frozenMinor: Int64
    public var lowThresholdMinor: Int64
    public var whenExhausted: Deposit.WhenExhausted
    /// Operator-funded: the value of the points issued that the deposit could not pay (it
    /// stays a debt settled in the cycle). On-redemption: the exposure beyond the drawable part.
    public var uncoveredMinor: Int64
    /// The drawable part (closing − frozen) is below the low threshold.
    public var low: Bool
    /// Nothing left to draw (operator-funded), or the drawable part does not cover the
    /// exposure (on-redemption).
    public var exhausted: Bool

    /// closing − frozen, at least 0.
    public var drawableMinor: Int64 { max(0, closingMinor - frozenMinor) }
}

/// A partner's exposure at the end of a cycle: the points it issued still open, at the
/// programme's point value, against its cap.
public struct ExposureFigures: Sendable, Hashable {
    public var outstandingPoints: Int64
    public var valueMinor: Int64
    public var capMinor: Int64?
    public var overCap: Bool
}

/// A partner's economics in one cycle: what its statement and the manifest show beyond
/// the netting, and the debts the clearing adds for it. Pure; `compute` builds them.
public struct PartnerEconomics: Sendable, Hashable {
    public var partnerId: String
    public var fundingModel: FundingModel
    public var issuedPoints: Int64
    /// Issued points × the programme's point value.
    public var issuedValueMinor: Int64
    public var redeemedPoints: Int64
    /// Redeemed points × its redemption point value: what it is paid for them.
    public var redeemedValueMinor: Int64
    public var expiredPoints: Int64
    /// Expired points × the programme's point value.
    public var breakageValueMinor: Int64
    /// Who keeps the breakage: the partner (on-redemption: it never pays for the points)
    /// or the operator (operator-funded: it was paid at accrual).
    public var breakageKeeper: String
    /// The value of the points issued owed to the operator at accrual (operator-funded).
    public var fundedMinor: Int64
    /// The percentage fee at accrual (`operator_fee_bp`), net of fee refunds.
    public var accrualFeesMinor: Int64
    public var redemptionFeesMinor: Int64
    public var cycleFeeMinor: Int64
    public var deposit: DepositFigures?
    public var exposure: ExposureFigures
    /// Whether the barrier that closed this cycle suspended its accruals (refuse mode).
    public var accrualsSuspended: Bool

    /// The debts the clearing adds to the cycle for this partner, partner → operator: its
    /// cycle fee, and minus what its deposit paid (the ledger's funding debt reduced).
    public func clearingDebts(operatorId: String) -> [DebtTotal] {
        var debts: [DebtTotal] = []
        if cycleFeeMinor != 0 { debts.append(DebtTotal(payer: partnerId, payee: operatorId, amountMinor: cycleFeeMinor)) }
        if let drawn = deposit?.drawnMinor, drawn != 0 {
            debts.append(DebtTotal(payer: partnerId, payee: operatorId, amountMinor: -drawn))
        }
        return debts
    }
}

extension PartnerEconomics {
    /// Every partner's economics of a cycle, in partner-id order. Throws on sums that
    /// leave Int64 and on inconsistent inputs (an opening for a partner without a deposit).
    public static func compute(
        terms: [PartnerTerms], points: [PartnerPoints], deposits: [DepositOpening], accrualSuspended: [String], operatorId: String
    ) throws(ClearingError) -> [PartnerEconomics] {
        var pointsById: [String: PartnerPoints] = [:]
        for entry in points { pointsById[entry.partnerId] = pointsById[entry.partnerId].map { $0 + entry } ?? entry }
        var openings: [String: DepositOpening] = [:]
        for opening in deposits { openings[opening.partnerId] = opening }
        let suspended = Set(accrualSuspended)
        return try terms.sorted { idPrecedes($0.partnerId, $1.partnerId) }.map { (term) throws(ClearingError) in
            try economics(
                term, points: pointsById[term.partnerId] ?? PartnerPoints(partnerId: term.partnerId), opening: openings[term.partnerId],
                suspended: suspended.contains(term.partnerId), operatorId: operatorId)
        }
    }

    static func economics(
        _ terms: PartnerTerms, points: PartnerPoints, opening: DepositOpening?, suspended: Bool, operatorId: String
    ) throws(ClearingError) -> PartnerEconomics {
        let id = terms.partnerId
        let exposureValue = try product(points.outstanding, terms.pointValueMinor, "exposure of \(id)")
        var deposit: DepositFigures? = nil
        if let depositTerms = terms.deposit {
            deposit = try Self.deposit(
                depositTerms, model: terms.fundingModel, opening: opening ?? DepositOpening(partnerId: id, openingMinor: depositTerms.amountMinor),
                fundedMinor: points.fundedMinor, exposureValueMinor: exposureValue)
        }
        return PartnerEconomics(
            partnerId: id, fundingModel: terms.fundingModel, issuedPoints: points.issued,
            issuedValueMinor: try product(points.issued, terms.pointValueMinor, "issued value of \(id)"),
            redeemedPoints: points.redeemed,
            redeemedValueMinor: try product(points.redeemed, terms.redemptionPointValueMinor, "redeemed value of \(id)"),
            expiredPoints: points.expired, breakageValueMinor: try product(points.expired, terms.pointValueMinor, "breakage of \(id)"),
            breakageKeeper: terms.fundingModel == .operatorFunded ? operatorId : id, fundedMinor: points.fundedMinor,
            accrualFeesMinor: points.feesMinor, redemptionFeesMinor: points.redemptionFeesMinor, cycleFeeMinor: terms.cycleFeeMinor,
            deposit: deposit,
            exposure: ExposureFigures(
                outstandingPoints: points.outstanding, valueMinor: exposureValue, capMinor: terms.exposureCapMinor,
                overCap: terms.exposureCapMinor.map { exposureValue > $0 } ?? false),
            accrualsSuspended: suspended)
    }

    /// One cycle of a deposit. Operator-funded: the value of the points issued this cycle
    /// (`fundedMinor`, when positive) is drawn from the drawable part (balance − frozen),
    /// as far as it goes; the rest stays a debt. On-redemption: nothing is drawn; the
    /// deposit guarantees the exposure. The frozen part is never drawn.
    public static func deposit(
        _ terms: Deposit, model: FundingModel, opening: DepositOpening, fundedMinor: Int64, exposureValueMinor: Int64
    ) throws(ClearingError) -> DepositFigures {
        var topped: Int64 = 0
        for topUp in opening.topUps {
            guard addChecked(&topped, topUp.amountMinor) else { throw Netting.overflow("top-ups of \(opening.partnerId)") }
        }
        var available = opening.openingMinor
        guard addChecked(&available, topped) else { throw Netting.overflow("deposit of \(opening.partnerId)") }
        let drawableBefore = max(0, available - terms.frozenMinor)
        var drawn: Int64 = 0
        var uncovered: Int64 = 0
        let exhausted: Bool
        switch model {
        case .operatorFunded:
            let owed = max(0, fundedMinor)
            drawn = min(owed, drawableBefore)
            uncovered = owed - drawn
            exhausted = drawableBefore - drawn == 0  // nothing left to draw
        case .onRedemption:
            uncovered = max(0, exposureValueMinor - drawableBefore)
            exhausted = uncovered > 0  // the guarantee does not cover the exposure
        }
        let closing = available - drawn
        let drawableAfter = max(0, closing - terms.frozenMinor)
        return DepositFigures(
            openingMinor: opening.openingMinor, topUps: opening.topUps, toppedUpMinor: topped, drawnMinor: drawn, closingMinor: closing,
            frozenMinor: terms.frozenMinor, lowThresholdMinor: terms.lowThresholdMinor, whenExhausted: terms.whenExhausted,
            uncoveredMinor: uncovered, low: drawableAfter < terms.lowThresholdMinor, exhausted: exhausted)
    }

    /// Whether a barrier should suspend the partner's accruals (refuse mode only): its
    /// deposit as the last settled cycle closed it (`closingMinor`, nil before its first
    /// settled cycle: the programme's amount), plus the top-ups recorded since, has nothing
    /// left to draw (operator-funded) or does not cover its last exposure (on-redemption).
    /// A top-up that restores it lifts the suspension at the next barrier.
    public static func suspendsAccruals(
        _ terms: Deposit, model: FundingModel, closingMinor: Int64?, pendingTopUpsMinor: Int64, exposureValueMinor: Int64
    ) -> Bool {
        guard terms.whenExhausted == .refuse else { return false }
        let (balance, overflow) = (closingMinor ?? terms.amountMinor).addingReportingOverflow(pendingTopUpsMinor)
        if overflow { return false }
        let drawable = max(0, balance - terms.frozenMinor)
        switch model {
        case .operatorFunded: return drawable == 0
        case .onRedemption: return exposureValueMinor > drawable
        }
    }

    private static func product(_ points: Int64, _ valueMinor: Int64, _ what: String) throws(ClearingError) -> Int64 {
        let (result, overflow) = points.multipliedReportingOverflow(by: valueMinor)
        guard !overflow else { throw Netting.overflow(what) }
        return result
    }
}

extension PartnerEconomics {
    /// The economics of `input`'s partners (validated by `CycleSettlementInput.validate`).
    static func compute(_ input: CycleSettlementInput) throws(ClearingError) -> [PartnerEconomics] {
        try compute(
            terms: input.terms, points: input.points, deposits: input.deposits, accrualSuspended: input.accrualSuspended,
            operatorId: input.operatorId)
    }
}

extension CycleSettlementInput {
    /// The partner-economics inputs: terms of known, distinct partners with sane amounts;
    /// deposit openings only for partners with a deposit, with positive top-ups.
    func validateEconomics(accountIds: Set<String>) throws(ClearingError) {
        var withDeposit = Set<String>()
        var seen = Set<String>()
        for term in terms {
            guard accountIds.contains(term.partnerId), term.partnerId != operatorId else {
                throw ClearingError(.unknownParticipant, "terms for \(term.partnerId), which is no partner with an account", location: "terms")
            }
            guard seen.insert(term.partnerId).inserted else {
                throw ClearingError(.invalidInput, "partner \(term.partnerId) has two sets of terms", location: "terms")
            }
            guard term.cycleFeeMinor >= 0, term.pointValueMinor > 0, term.redemptionPointValueMinor > 0 else {
                throw ClearingError(
                    .invalidInput, "terms of \(term.partnerId): the cycle fee must be ≥ 0 and point values > 0", location: "terms",
                    found: "\(term.cycleFeeMinor) / \(term.pointValueMinor) / \(term.redemptionPointValueMinor)")
            }
            if term.deposit != nil { withDeposit.insert(term.partnerId) }
        }
        var opened = Set<String>()
        for opening in deposits {
            guard withDeposit.contains(opening.partnerId), opened.insert(opening.partnerId).inserted else {
                throw ClearingError(
                    .invalidInput, "a deposit opening for \(opening.partnerId), which has no deposit in its terms or has two openings",
                    location: "deposits", found: opening.partnerId)
            }
            guard opening.openingMinor >= 0 else {
                throw ClearingError(
                    .invalidInput, "deposit of \(opening.partnerId) opens below 0", location: "deposits.opening_minor",
                    found: String(opening.openingMinor))
            }
            for topUp in opening.topUps where topUp.amountMinor <= 0 {
                throw ClearingError(
                    .invalidInput, "top-up \(topUp.reference) of \(opening.partnerId) must be > 0", location: "deposits.top_ups",
                    found: String(topUp.amountMinor))
            }
            // References name statement rows: no CSV quoting, nothing invisible.
            for topUp in opening.topUps where !DepositTopUp.isValidReference(topUp.reference) {
                throw ClearingError(
                    .invalidInput, "top-up reference of \(opening.partnerId) must be 1-64 letters, digits, '.', '_', '-', '/' or ':'",
                    location: "deposits.top_ups.reference", found: topUp.reference)
            }
        }
        for partner in accrualSuspended where !withDeposit.contains(partner) {
            throw ClearingError(
                .invalidInput, "accruals of \(partner) suspended, but it has no deposit", location: "accrual_suspended", found: partner)
        }
    }
}
