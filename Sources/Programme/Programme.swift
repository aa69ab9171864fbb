import Foundation

/// The coalition's rules: one validated configuration shared by every node.
///
/// Build one with `Programme.load(path:)` or `Programme.decode(jsonData:)`; both refuse a
/// file with any problem and list every problem found, each naming its field path.
public struct Programme: Sendable, Hashable {
    public var version: String
    /// ISO 4217 code of the one settlement currency.
    public var currency: String
    public var currencyExponent: Int
    /// What one point is worth, in minor units of `currency`.
    public var pointValueMinor: Int64
    /// 0 = points never expire.
    public var expiryMonths: Int
    public var maxCardsPerAccount: Int
    /// How long a transaction id stays answerable as a duplicate (days behind the log time,
    /// the close time of the shard's last sealed barrier); older transactions are refused
    /// PAST_IDEMPOTENCY_HORIZON. nil = no horizon (nothing is ever archived).
    public var idempotencyHorizonDays: Int?
    /// How long after its original's event time a refund or cancel is accepted (else
    /// PAST_REVERSAL_WINDOW). nil = no window.
    public var reversalWindowDays: Int?
    /// Whether an archive also takes its cycles' summaries (debts, partner statistics,
    /// conversions, programme versions) out of the hot tables, not only their journal
    /// rows, portions and lots. Off unless the file says so: the archives' content and the
    /// digests chained over them change, so a ledger turns it on at a programme version
    /// through the log (a cut-over offset), never by a new build. Needs both horizons.
    public var archivesCycleSummaries = false
    public var operatorAccount: Participant
    public var floors: Floors
    /// Statuses (tiers): how members qualify and what each status earns (Statuses.swift).
    public var statuses = StatusRules()
    /// How points expire (ExpiryPolicy.swift); `expiryMonths` is its plain case.
    public var expiryPolicy = ExpiryPolicy()
    /// Time-boxed bonuses, each with its funder (Promotions.swift).
    public var promotions: [Promotion] = []
    /// How long after its event time a retro-claim (a missing accrual claimed later) is
    /// accepted (else PAST_CLAIM_WINDOW). nil = retro-claims are refused.
    public var claimWindowDays: Int?
    /// Company accounts: who earns for them and who may spend them (Companies.swift).
    public var companies = CompanyAccounts()
    /// Sorted by id.
    public private(set) var partners: [Partner]
    private var partnerIndex: [String: Int]

    public struct Participant: Sendable, Hashable {
        public var id: String
        public var name: String
        public var iban: String
        public var bic: String

        public init(id: String, name: String, iban: String, bic: String) {
            self.id = id
            self.name = name
            self.iban = iban
            self.bic = bic
        }
    }

    /// Minimum earn rates the operator imposes on every partner.
    public struct Floors: Sendable, Hashable {
        public var defaultBasisPoints: Int64
        public var categories: [String: Int64]

        public init(defaultBasisPoints: Int64, categories: [String: Int64] = [:]) {
            self.defaultBasisPoints = defaultBasisPoints
            self.categories = categories
        }

        public func floor(category: String) -> Int64 {
            categories[category] ?? defaultBasisPoints
        }
    }

    public struct Partner: Sendable, Hashable {
        public var id: String
        public var name: String
        public var earnDefaultBasisPoints: Int64
        public var earnCategoryBasisPoints: [String: Int64]
        public var operatorFeeBasisPoints: Int64
        public var iban: String
        public var bic: String
        /// Days the partner holds its accruals' points pending (its return window) before
        /// they can be spent; 0 = spendable at once (PendingPoints.swift).
        public var pendingDays = 0
        /// The partner's redemption rules: minimum, bill share, rewards, point value
        /// (RedemptionRules.swift).
        public var redemption = RedemptionRules()
        /// Who pays for its points: at redemption (the default) or the operator, bought at
        /// accrual (Funding.swift).
        public var fundingModel = FundingModel.onRedemption
        /// Its fee per redemption and per cycle (Funding.swift); `cycleFeeMinor` is the latter.
        public var fees = PartnerFees()
        public var cycleFeeMinor: Int64 { fees.perCycleMinor }
        /// The partner's deposit, if it has one (Deposits.swift).
        public var deposit: Deposit? = nil
        /// The most its exposure (open points × point value) may reach before it is flagged;
        /// nil = no cap (Deposits.swift).
        public var exposureCapMinor: Int64? = nil
        /// Merchant, the operator's catalogue, or an exchange partner (PartnerKinds.swift).
        public var kind = PartnerKind.merchant
        /// An exchange partner's block ratio; nil for every other kind.
        public var exchange: ExchangeTerms? = nil

        public init(
            id: String, name: String, earnDefaultBasisPoints: Int64,
            earnCategoryBasisPoints: [String: Int64] = [:], operatorFeeBasisPoints: Int64,
            iban: String, bic: String
        ) {
            self.id = id
            self.name = name
            self.earnDefaultBasisPoints = earnDefaultBasisPoints
            self.earnCategoryBasisPoints = earnCategoryBasisPoints
            self.operatorFeeBasisPoints = operatorFeeBasisPoints
            self.iban = iban
            self.bic = bic
        }

        public func earnBasisPoints(category: String) -> Int64 {
            earnCategoryBasisPoints[category] ?? earnDefaultBasisPoints
        }
    }

    /// Builds a programme without validating it; `validate()` lists its problems.
    public init(
        version: String, currency: String, currencyExponent: Int, pointValueMinor: Int64,
        expiryMonths: Int, maxCardsPerAccount: Int, operatorAccount: Participant, floors: Floors,
        partners: [Partner], idempotencyHorizonDays: Int? = nil, reversalWindowDays: Int? = nil
    ) {
        self.version = version
        self.currency = currency
        self.currencyExponent = currencyExponent
        self.pointValueMinor = pointValueMinor
        self.expiryMonths = expiryMonths
        self.maxCardsPerAccount = maxCardsPerAccount
        self.idempotencyHorizonDays = idempotencyHorizonDays
        self.reversalWindowDays = reversalWindowDays
        self.operatorAccount = operatorAccount
        self.floors = floors
        self.partners = partners.sorted { $0.id < $1.id }
        var index: [String: Int] = [:]
        for (position, partner) in self.partners.enumerated() where index[partner.id] == nil {
            index[partner.id] = position
        }
        self.partnerIndex = index
    }

    /// Replaces the partners (sorted by id) and their index; every other field stays.
    mutating func replacePartners(_ newPartners: [Partner]) {
        partners = newPartners.sorted { $0.id < $1.id }
        var index: [String: Int] = [:]
        for (position, partner) in partners.enumerated() where index[partner.id] == nil {
            index[partner.id] = position
        }
        partnerIndex = index
    }

    // MARK: Horizons

    static let millisecondsPerDay: Int64 = 86_400_000

    /// `idempotencyHorizonDays` in milliseconds.
    public var idempotencyHorizonMilliseconds: Int64? { idempotencyHorizonDays.map { Int64($0) * Self.millisecondsPerDay } }

    /// `reversalWindowDays` in milliseconds.
    public var reversalWindowMilliseconds: Int64? { reversalWindowDays.map { Int64($0) * Self.millisecondsPerDay } }

    /// How far behind a barrier's close time a sealed cycle must have closed for its rows to
    /// be archived: max(horizon, window). nil (nothing archived) unless both are set.
    public var archiveAgeMilliseconds: Int64? {
        guard let horizon = idempotencyHorizonMilliseconds, let window = reversalWindowMilliseconds else { return nil }
        return max(horizon, window)
    }

    // MARK: Lookups

    public var operatorId: String { operatorAccount.id }

    public func partner(_ id: String) -> Partner? {
        guard let position = partnerIndex[id] else { return nil }
        return partners[position]
    }

    public func partner(id: String) -> Partner? { partner(id) }

    /// The partner's rate for `category`, else its default; nil for an unknown partner.
    public func earnBasisPoints(partnerId: String, category: String) -> Int64? {
        partner(partnerId)?.earnBasisPoints(category: category)
    }

    public func operatorFeeBasisPoints(partnerId: String) -> Int64? {
        partner(partnerId)?.operatorFeeBasisPoints
    }
}
