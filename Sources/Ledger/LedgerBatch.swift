import Programme

/// Consecutive messages of one partition, applied in one SQL transaction.
public struct LedgerBatch: Sendable {
    /// Most entries one SQL transaction takes: bounds the write transaction's length and
    /// the memory of the batch's aggregates.
    public static let maxEntries = 10_000

    public var entries: [LedgerEntry]
    /// The partition's next offset once this batch is applied (last offset + 1, or more
    /// when the log skipped offsets, e.g. transaction markers).
    public var nextOffset: Int64

    public init(entries: [LedgerEntry], nextOffset: Int64) {
        self.entries = entries
        self.nextOffset = nextOffset
    }
}

/// One message of the partition, already decoded.
public struct LedgerEntry: Sendable {
    public var offset: Int64
    public var kind: Kind

    public enum Kind: Sendable {
        case transaction(Transaction)
        /// The clearing node closed `cycle`; everything before this entry belongs to it.
        case barrier(cycle: Int64, closedAtMilliseconds: Int64)
        /// A balance question; answered, changes nothing.
        case inquiry(memberId: String)
        /// A message that could not be decoded or was invalid; recorded and counted.
        case deadLetter(reason: String)
    }

    public init(offset: Int64, kind: Kind) {
        self.offset = offset
        self.kind = kind
    }
}

/// What applying a batch produced, in entry order, for the worker to publish.
public enum LedgerOutput: Sendable, Equatable {
    /// `original` is set iff `outcome.status == .duplicate`.
    case result(offset: Int64, transaction: Transaction, outcome: Outcome, original: Outcome?)
    case position(CyclePosition)
    case inquiry(offset: Int64, memberId: String, balance: Int64)
}

/// A shard's sealed totals of one clearing cycle.
public struct CyclePosition: Sendable, Equatable, Hashable {
    public var cycle: Int64
    public var partition: Int64
    public var firstOffset: Int64
    public var barrierOffset: Int64
    public var closedAtMilliseconds: Int64
    public var accepted: Int64
    public var rejected: Int64
    public var duplicates: Int64
    public var deadLetters: Int64
    /// Sorted by (payer, payee).
    public var debts: [DebtTotal]
    /// Sorted by partner id.
    public var points: [PartnerPoints]
    /// `Shard.digest()` at the moment of sealing (before the position itself is stored).
    public var ledgerDigest: String

    public init(
        cycle: Int64, partition: Int64, firstOffset: Int64, barrierOffset: Int64,
        closedAtMilliseconds: Int64, accepted: Int64, rejected: Int64, duplicates: Int64,
        deadLetters: Int64, debts: [DebtTotal], points: [PartnerPoints], ledgerDigest: String
    ) {
        self.cycle = cycle
        self.partition = partition
        self.firstOffset = firstOffset
        self.barrierOffset = barrierOffset
        self.closedAtMilliseconds = closedAtMilliseconds
        self.accepted = accepted
        self.rejected = rejected
        self.duplicates = duplicates
        self.deadLetters = deadLetters
        self.debts = debts
        self.points = points
        self.ledgerDigest = ledgerDigest
    }
}

/// Gross money `payer` owes `payee`, in minor units (negative after reversals).
public struct DebtTotal: Sendable, Equatable, Hashable, Comparable {
    public var payer: String
    public var payee: String
    public var amountMinor: Int64

    public init(payer: String, payee: String, amountMinor: Int64) {
        self.payer = payer
        self.payee = payee
        self.amountMinor = amountMinor
    }

    public static func < (a: DebtTotal, b: DebtTotal) -> Bool {
        (a.payer, a.payee, a.amountMinor) < (b.payer, b.payee, b.amountMinor)
    }
}

/// A partner's point movements in a cycle.
public struct PartnerPoints: Sendable, Equatable, Hashable {
    public var partnerId: String
    /// Points its accruals credited (including what paid off shortfalls).
    public var issued: Int64
    /// Points members redeemed at it (net of cancels).
    public var redeemed: Int64
    /// Points of its lots that expired (breakage).
    public var expired: Int64
    /// Points its refunds clawed back (including what became shortfall).
    public var clawedBack: Int64
    /// Fees it owes the operator, net of fee refunds.
    public var feesMinor: Int64

    public init(partnerId: String, issued: Int64 = 0, redeemed: Int64 = 0, expired: Int64 = 0, clawedBack: Int64 = 0, feesMinor: Int64 = 0) {
        self.partnerId = partnerId
        self.issued = issued
        self.redeemed = redeemed
        self.expired = expired
        self.clawedBack = clawedBack
        self.feesMinor = feesMinor
    }
}

/// A member's balance and the lots behind it.
public struct MemberView: Sendable, Equatable {
    public var memberId: String
    /// Sum of the lots' points left minus the shortfall.
    public var balance: Int64
    /// Points owed after a refund clawed back more than the member held (≥ 0).
    public var shortfall: Int64
    /// Lots with points left, in redemption order (earliest expiry, then oldest).
    public var lots: [Lot]

    public init(memberId: String, balance: Int64, shortfall: Int64, lots: [Lot]) {
        self.memberId = memberId
        self.balance = balance
        self.shortfall = shortfall
        self.lots = lots
    }

    public struct Lot: Sendable, Equatable {
        /// The offset of the accrual that created it.
        public var lotId: Int64
        public var issuer: String
        public var pointsLeft: Int64
        /// `Programme.neverExpires` when points never expire.
        public var expiresAtMilliseconds: Int64
        public var createdAtMilliseconds: Int64

        public init(lotId: Int64, issuer: String, pointsLeft: Int64, expiresAtMilliseconds: Int64, createdAtMilliseconds: Int64) {
            self.lotId = lotId
            self.issuer = issuer
            self.pointsLeft = pointsLeft
            self.expiresAtMilliseconds = expiresAtMilliseconds
            self.createdAtMilliseconds = createdAtMilliseconds
        }
    }
}

/// Whole-shard totals over every cycle, sealed and open.
public struct ShardTotals: Sendable, Equatable {
    public var partners: [PartnerTotals]
    /// Sorted by (payer, payee), summed over all cycles.
    public var debts: [DebtTotal]
    public var accepted: Int64
    public var rejected: Int64
    public var duplicates: Int64
    public var deadLetters: Int64
    public var nextOffset: Int64

    public init(partners: [PartnerTotals], debts: [DebtTotal], accepted: Int64, rejected: Int64, duplicates: Int64, deadLetters: Int64, nextOffset: Int64) {
        self.partners = partners
        self.debts = debts
        self.accepted = accepted
        self.rejected = rejected
        self.duplicates = duplicates
        self.deadLetters = deadLetters
        self.nextOffset = nextOffset
    }
}

public struct PartnerTotals: Sendable, Equatable {
    public var partnerId: String
    public var issued: Int64
    public var redeemed: Int64
    public var expired: Int64
    public var clawedBack: Int64
    /// Points left in the lots it issued.
    public var outstanding: Int64
    public var feesMinor: Int64

    public init(partnerId: String, issued: Int64, redeemed: Int64, expired: Int64, clawedBack: Int64, outstanding: Int64, feesMinor: Int64) {
        self.partnerId = partnerId
        self.issued = issued
        self.redeemed = redeemed
        self.expired = expired
        self.clawedBack = clawedBack
        self.outstanding = outstanding
        self.feesMinor = feesMinor
    }
}
