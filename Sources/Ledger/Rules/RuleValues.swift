import Programme

// The plain values the ledger's rules read and return. No storage here: a rule sees the
// member, its lots and the original as values and answers with `Effects`; the store
// (`LedgerStore`) reads those values and writes the effects.

/// A member's balance as the rules see it.
struct MemberState: Equatable {
    var balance: Int64
    /// Points refunds clawed that no lot held: paid off by the next points before any lot forms.
    var shortfall: Int64
    /// A lower bound on the expiry of the member's open lots (`noOpenLots` without any):
    /// while it is above an event time nothing of the member's is due, so accruals and
    /// balance reports need not read the lots. Only a performance hint: results never
    /// depend on how low it is, as long as it is a lower bound.
    var expiryFloorMilliseconds: Int64
    /// Status, activity and promotion counters (`MemberProgramme`); empty for a programme
    /// without those rules.
    var programme = MemberProgramme()

    /// `expiryFloorMilliseconds` of a member without open lots.
    static let noOpenLots: Int64 = .max
    /// A member the ledger has never seen.
    static let new = MemberState(balance: 0, shortfall: 0, expiryFloorMilliseconds: noOpenLots)
}

/// An open lot (points left > 0): points one accrual credited, spent in redemption order.
/// `MemberView.Lot` is this type.
public struct OpenLot: Sendable, Equatable {
    /// The offset of the accrual that created it.
    public var lotId: Int64
    /// The partner whose accrual credited it: it owes the redeeming partner for its points.
    public var issuer: String
    public var pointsLeft: Int64
    /// Due (and expired at the next accepted transaction or barrier) when ≤ an event time;
    /// `Programme.neverExpires` when points never expire.
    public var expiresAtMilliseconds: Int64
    /// The accrual's event time: among lots expiring together the oldest goes first.
    public var createdAtMilliseconds: Int64
    /// Pending points: the lot's points are spendable from this event time on (the
    /// accrual's event time + its partner's `pending_days`); `availableAtOnce` without a
    /// return window. A lot with `availableAtMilliseconds > t` is pending at t.
    public var availableAtMilliseconds: Int64

    /// `availableAtMilliseconds` of a lot spendable as soon as it exists.
    public static let availableAtOnce: Int64 = .min

    public init(
        lotId: Int64, issuer: String, pointsLeft: Int64, expiresAtMilliseconds: Int64, createdAtMilliseconds: Int64,
        availableAtMilliseconds: Int64 = OpenLot.availableAtOnce
    ) {
        (self.lotId, self.issuer, self.pointsLeft) = (lotId, issuer, pointsLeft)
        (self.expiresAtMilliseconds, self.createdAtMilliseconds) = (expiresAtMilliseconds, createdAtMilliseconds)
        self.availableAtMilliseconds = availableAtMilliseconds
    }

    /// Whether the lot's points are still in their return window at `time`.
    func isPending(at time: Int64) -> Bool { availableAtMilliseconds > time }

    /// Redemption order: earliest expiry, then oldest, then lowest id.
    static func precedes(_ a: OpenLot, _ b: OpenLot) -> Bool {
        (a.expiresAtMilliseconds, a.createdAtMilliseconds, a.lotId) < (b.expiresAtMilliseconds, b.createdAtMilliseconds, b.lotId)
    }
}

/// What a redemption took from one lot (and a cancel gives back).
struct Portion: Equatable {
    var lotId: Int64
    var issuer: String
    var points: Int64
}

/// What a journaled transaction was: the domain's kind (its code is the journal's).
typealias TransactionKind = Transaction.Kind

/// One journal row: the outcome plus what later reversals need.
struct JournalRecord {
    var kind: TransactionKind
    var outcome: Outcome
    var amountMinor: Int64 = 0
    var points: Int64 = 0
    var feeMinor: Int64 = 0
    var lotId: Int64? = nil
    var originalOffset: Int64? = nil
    /// The transaction's event time (journal.event_time): what a reversal window counts from.
    var eventTimeMilliseconds: Int64? = nil
    /// The debts the transaction made, in the order made (journal.debts; migration 12): what
    /// `settlement trace` shows and what a cancel reverses (LedgerRules+Funding.swift).
    var debts: [DebtTotal] = []
}

/// A journaled transaction a refund or cancel refers to.
struct OriginalRecord {
    var offset: Int64
    var memberId: String
    var kind: TransactionKind?
    var status: String
    var amountMinor: Int64
    var points: Int64
    var feeMinor: Int64
    var lotId: Int64?
    var refundedMinor: Int64
    var clawedPoints: Int64
    var refundedFeeMinor: Int64
    var reversedBy: Int64?
    /// nil for rows journaled before the column existed (migration 6): unknown.
    var eventTimeMilliseconds: Int64? = nil
    /// For such a row in a sealed cycle, that cycle's close time: the reversal window
    /// counts from it (`LedgerRules.checkReversalWindow`), so a row its cycle's archive is
    /// about to take cannot be reversed any more than a row with its time.
    var sealedAtMilliseconds: Int64? = nil
    /// The debts it made as journaled (journal.debts); nil when none were recorded (no
    /// debts, or a row journaled before migration 12).
    var debts: [DebtTotal]? = nil
}

/// Why a rule refuses a transaction; the refusal is journaled and changes nothing else.
struct Rejection: Error {
    var reason: RejectReason
    /// For people: names the field and why ("points: 100 requested, the balance is 50").
    var detail: String
    /// A transaction refused for its date alone (`LedgerRules.checkAhead`): its row holds
    /// no cycle, and its key is kept apart until a retry is past the horizon.
    var datedAhead = false

    init(_ reason: RejectReason, _ detail: String) { (self.reason, self.detail) = (reason, detail) }
}

/// Entries of a cycle by what became of them.
struct EntryCounts: Equatable {
    var accepted: Int64 = 0
    var rejected: Int64 = 0
    var duplicates: Int64 = 0
    var deadLetters: Int64 = 0
}
