import Programme

@testable import Ledger

/// The ledger's rules (`LedgerRules`) driven over dictionaries instead of a shard file:
/// the same steps as `Shard` (dedupe → `LedgerRules.decide` with these dictionaries as
/// its `RuleInputs` → effects → journal) with plain values, so the property test can
/// check the rules alone against `ReferenceLedger`.
struct MemoryLedger: RuleInputs {
    /// A journaled transaction: what reversals read of it, and its outcome.
    struct Journaled {
        var original: OriginalRecord
        var outcome: Outcome
    }

    let rules: LedgerRules
    var members: [String: MemberState] = [:]
    /// Every lot by id with its member, open or not.
    var lots: [Int64: (memberId: String, lot: OpenLot)] = [:]
    var journal: [String: Journaled] = [:]
    /// A redemption's portions by its offset.
    var portionsByRedemption: [Int64: [Portion]] = [:]
    var debts: [DebtTotal] = []
    var stats: [String: PartnerPoints] = [:]
    /// The log time the rules see (a shard's last sealed close time); nil: no barrier yet.
    var logTime: Int64? = nil
    /// Every card by id, as the shard's cards table holds them.
    var cards: [String: CardRecord] = [:]

    init(programme: Programme) { rules = LedgerRules(programme: programme) }

    private static func key(_ partnerId: String, _ txnId: String) -> String { partnerId + "\u{0}" + txnId }

    func member(_ id: String) -> MemberState { members[id] ?? .new }

    /// The member's open lots in redemption order.
    func openLots(_ id: String) -> [OpenLot] {
        lots.values.filter { $0.memberId == id && $0.lot.pointsLeft > 0 }.map(\.lot).sorted(by: OpenLot.precedes)
    }

    func spendable(_ id: String, at time: Int64) -> Int64 { LedgerRules.spendable(member(id), lots: openLots(id), at: time) }

    // RuleInputs: every lot is always at hand, so `lotsIfNeeded` gives them all.
    func memberState(_ memberId: String) -> MemberState { member(memberId) }
    func lotsIfNeeded(_ memberId: String, _ member: MemberState, at time: Int64) -> [OpenLot] { openLots(memberId) }
    func storedOriginal(partnerId: String, partnerTxnId: String) -> OriginalRecord? {
        journal[Self.key(partnerId, partnerTxnId)]?.original
    }
    func portions(ofRedemption offset: Int64) -> [(portion: Portion, lot: OpenLot)] {
        (portionsByRedemption[offset] ?? []).map { (portion: $0, lot: lots[$0.lotId]!.lot) }
    }
    func logTimeMilliseconds() -> Int64? { logTime }
    func card(_ cardId: String) -> CardRecord? { cards[cardId] }
    func activeCardCount(ofAccount memberId: String) -> Int {
        cards.values.filter { $0.memberId == memberId && $0.state == .active }.count
    }

    /// The outcome of `t` at `offset`, and the original's outcome for a duplicate.
    mutating func apply(_ t: Transaction, offset: Int64) -> (Outcome, Outcome?) {
        let time = t.eventTimeMilliseconds
        guard !t.partnerTxnId.isEmpty else {
            return (.rejected(.invalidField, "partner_txn_id: must not be empty", balanceAfter: spendable(t.memberId, at: time)), nil)
        }
        if let original = journal[Self.key(t.partnerId, t.partnerTxnId)] {
            return (Outcome(status: .duplicate, balanceAfter: spendable(t.memberId, at: time)), original.outcome)
        }
        var effects = Effects()
        do {
            try rules.decide(t, offset: offset, inputs: self, into: &effects)
            write(effects, t, offset: offset)
        } catch {
            guard case .rejection(let refused) = error else { preconditionFailure("plain values cannot fail to read: \(error)") }
            effects.record = JournalRecord(
                kind: t.body.kind, outcome: .rejected(refused.reason, refused.detail, balanceAfter: spendable(t.memberId, at: time)))
        }
        let record = effects.record
        let original = OriginalRecord(
            offset: offset, memberId: t.memberId, kind: record.kind, status: record.outcome.status.rawValue, amountMinor: record.amountMinor,
            points: record.points, feeMinor: record.feeMinor, lotId: record.lotId, refundedMinor: 0, clawedPoints: 0, refundedFeeMinor: 0,
            reversedBy: nil, eventTimeMilliseconds: time)
        journal[Self.key(t.partnerId, t.partnerTxnId)] = Journaled(original: original, outcome: record.outcome)
        if !effects.portions.isEmpty { portionsByRedemption[offset] = effects.portions }
        return (effects.record.outcome, nil)
    }

    private mutating func write(_ effects: Effects, _ t: Transaction, offset: Int64) {
        for portion in effects.restored { lots[portion.lotId]!.lot.pointsLeft += portion.points }
        for update in effects.lotUpdates { lots[update.lotId]!.lot.pointsLeft = update.pointsLeft }
        if let lot = effects.newLot { lots[lot.lotId] = (t.memberId, lot) }
        for lot in effects.bonusLots { lots[lot.lotId] = (t.memberId, lot) }  // promotions' bonus lots
        if effects.memberChanged { members[t.memberId] = effects.member }
        if let card = effects.card { cards[card.cardId] = card }
        debts += effects.debts
        for delta in effects.stats {
            stats[delta.partnerId, default: PartnerPoints(partnerId: delta.partnerId)].redeemed += delta.redeemed
            stats[delta.partnerId]!.expired += delta.expired
        }
        switch effects.originalUpdate {
        case .refunded(let originalTxnId, let refundedMinor, let clawedPoints, let refundedFeeMinor):
            let key = Self.key(t.partnerId, originalTxnId)
            journal[key]!.original.refundedMinor = refundedMinor
            journal[key]!.original.clawedPoints = clawedPoints
            journal[key]!.original.refundedFeeMinor = refundedFeeMinor
        case .reversed(let originalTxnId, let by):
            journal[Self.key(t.partnerId, originalTxnId)]!.original.reversedBy = by
        case nil:
            break
        }
    }

    /// The member as `Shard.member` shows it.
    func view(_ id: String) -> MemberView {
        let state = member(id)
        return MemberView(memberId: id, balance: state.balance, shortfall: state.shortfall, lots: openLots(id))
    }

    /// Debts summed by (payer, payee), as `Shard.totals` gives them.
    var debtTotals: [DebtTotal] {
        Dictionary(debts.map { ("\($0.payer)>\($0.payee)", $0.amountMinor) }, uniquingKeysWith: +).map { key, amount in
            let parts = key.split(separator: ">").map(String.init)
            return DebtTotal(payer: parts[0], payee: parts[1], amountMinor: amount)
        }.sorted()
    }
}
