/// A shard's sealed totals of one clearing cycle: what the ledger seals at a barrier, the
/// worker publishes (as `Loyalty_V1_ShardPosition`, converted once in LoyaltyWire) and the
/// clearing node checks and nets. Domain values, so that neither side works on wire types.
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
    /// The cycle's chained digest (SHA-256, hex): of the previous sealed cycle's, the
    /// running hash of what the cycle's entries changed, and the seal's own rows
    /// (docs/design.md, "The digest"). O(cycle) to compute; equal for equal logs whatever
    /// the batch boundaries. Not `Shard.digest()` (every table), which is the explicit verify.
    public var ledgerDigest: String
    /// The cycle's conversions at exchange partners, in offset order.
    public var conversions: [Conversion]
    /// The programme versions that priced the cycle's transactions, in the order used.
    public var programmeVersions: [String]

    public init(
        cycle: Int64, partition: Int64, firstOffset: Int64, barrierOffset: Int64,
        closedAtMilliseconds: Int64, accepted: Int64, rejected: Int64, duplicates: Int64,
        deadLetters: Int64, debts: [DebtTotal], points: [PartnerPoints], ledgerDigest: String,
        conversions: [Conversion] = [], programmeVersions: [String] = []
    ) {
        self.conversions = conversions
        self.programmeVersions = programmeVersions
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

/// Money `payer` owes `payee`, in minor units: a ledger's gross debt of a cycle, summed by
/// (payer, payee), and after netting a bilateral obligation (then always > 0).
///
/// A negative gross amount (a cancel reversing a redemption settled in an earlier cycle) is
/// a debt from payee to payer. `payer == payee` is recorded and reported but never settled.
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

/// A partner's point movements and fees in a cycle: sealed by the ledger, summed over the
/// shards by the clearing node, printed in the partner's statement.
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
    /// Fees it owes the operator, net of fee refunds (already part of the debts partner → operator).
    public var feesMinor: Int64
    /// Bonus points of the promotions it funds (also counted in `issued`): what its
    /// promotions cost it, in points. The operator has a row of its own when it funds one.
    public var promoted: Int64
    /// Points it issued still open at the end of the cycle (a level, not a flow; pending
    /// lots included): its exposure in points. The shard seals the level; within a cycle
    /// the rules add changes to it.
    public var outstanding: Int64
    /// Per-redemption fees it owes the operator as the redeeming partner, net of cancels
    /// (already part of the debts partner → operator).
    public var redemptionFeesMinor: Int64
    /// Operator-funded partners: the value of the points issued, owed to the operator at
    /// accrual, net of refunds (already part of the debts partner → operator).
    public var fundedMinor: Int64

    public init(
        partnerId: String, issued: Int64 = 0, redeemed: Int64 = 0, expired: Int64 = 0, clawedBack: Int64 = 0, feesMinor: Int64 = 0,
        promoted: Int64 = 0, outstanding: Int64 = 0, redemptionFeesMinor: Int64 = 0, fundedMinor: Int64 = 0
    ) {
        self.outstanding = outstanding
        self.redemptionFeesMinor = redemptionFeesMinor
        self.fundedMinor = fundedMinor
        self.partnerId = partnerId
        self.issued = issued
        self.redeemed = redeemed
        self.expired = expired
        self.clawedBack = clawedBack
        self.feesMinor = feesMinor
        self.promoted = promoted
    }
}

/// A conversion at an exchange partner (a redemption there): one line of that partner's
/// conversion file for the cycle (docs/finance.md, "Exchange partners").
public struct Conversion: Sendable, Equatable, Hashable {
    public var partnerId: String
    public var partnerTxnId: String
    public var memberId: String
    /// The member's id in the exchange partner's own programme.
    public var externalMemberId: String
    public var points: Int64
    /// What the exchange partner credits, by its block ratio.
    public var miles: Int64
    /// The conversion's offset in its partition.
    public var offset: Int64

    public init(
        partnerId: String, partnerTxnId: String, memberId: String, externalMemberId: String, points: Int64, miles: Int64,
        offset: Int64
    ) {
        self.partnerId = partnerId
        self.partnerTxnId = partnerTxnId
        self.memberId = memberId
        self.externalMemberId = externalMemberId
        self.points = points
        self.miles = miles
        self.offset = offset
    }
}
