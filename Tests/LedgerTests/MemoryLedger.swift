import Programme

@testable import Ledger

/// The ledger's rules (`LedgerRules`) driven over dictionaries instead of a shard file:
/// the same steps as `Shard` (dedupe → inputs → rule → effects → journal) with plain
/// values, so the property test can check the rules alone against `ReferenceLedger`.
struct MemoryLedger {
    /// A journaled transaction: what reversals read of it, its outcome, a redemption's portions.
    struct Journaled {
        var original: OriginalRecord
        var outcome: Outcome
        var portions: [Portion]
    }

    let rules: LedgerRules
    var members: [String: MemberState] = [:]
    /// Every lot by id with its member, open or not.
    var lots: [Int64: (memberId: String, lot: OpenLot)] = [:]
    var journal: [String: Journaled] = [:]
    var debts: [DebtTotal] = []
    var stats: [String: PartnerPoints] = [:]

    init(programme: Programme) { rules = LedgerRules(programme: programme) }

    private static func key(_ partnerId: String, _ txnId: String) -> String { partnerId + "\u{0}" + txnId }

    func member(_ id: String) -> MemberState { members[id] ?? .new }

    /// The member's open lots in redemption order.
    func openLots(_ id: String) -> [OpenLot] {
        lots.values.filter { $0.memberId == id && $0.lot.pointsLeft > 0 }.map(\.lot).sorted(by: OpenLot.precedes)
    }

    func spendable(_ id: String, at time: Int64) -> Int64 { LedgerRules.spendable(member(id), lots: openLots(id), at: time) }

    func original(_ partnerId: String, _ txnId: String) -> OriginalRecord? { journal[Self.key(partnerId, txnId)]?.original }

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
            try decide(t, offset: offset, into: &effects)
            write(effects, t, offset: offset)
        } catch {
            effects.record = JournalRecord(
                kind: t.body.kind, outcome: .rejected(error.reason, error.detail, balanceAfter: spendable(t.memberId, at: time)))
        }
        let record = effects.record
        let original = OriginalRecord(
            offset: offset, memberId: t.memberId, kind: record.kind, status: record.outcome.status.rawValue, amountMinor: record.amountMinor,
            points: record.points, feeMinor: record.feeMinor, lotId: record.lotId, refundedMinor: 0, clawedPoints: 0, refundedFeeMinor: 0,
            reversedBy: nil)
        journal[Self.key(t.partnerId, t.partnerTxnId)] = Journaled(original: original, outcome: record.outcome, portions: effects.portions)
        return (effects.record.outcome, nil)
    }

    private func decide(_ t: Transaction, offset: Int64, into effects: inout Effects) throws(Rejection) {
        let partner = try rules.partner(of: t)
        let time = t.eventTimeMilliseconds
        let state = member(t.memberId)
        let lots = openLots(t.memberId)
        switch t.body {
        case .accrual(let amountMinor, let currency, let category):
            try rules.accrue(
                t, offset: offset, partner: partner, amountMinor: amountMinor, currency: currency, category: category, member: state,
                lots: lots, into: &effects)
        case .redemption(let points):
            try rules.checkRedemption(points: points, spendable: LedgerRules.spendable(state, lots: lots, at: time))
            rules.redeem(t, points: points, member: state, lots: lots, into: &effects)
        case .refund(let originalTxnId, let amountMinor, let currency):
            try rules.checkAmount("amount_minor", amountMinor)
            try rules.checkCurrency(currency)
            try rules.checkOriginalId(originalTxnId)
            let original = try rules.checkOriginal(self.original(t.partnerId, originalTxnId), of: t, originalTxnId: originalTxnId, expected: .accrual)
            let terms = try rules.refundTerms(original, originalTxnId: originalTxnId, amountMinor: amountMinor)
            rules.refund(
                t, amountMinor: amountMinor, originalTxnId: originalTxnId, original: original, terms: terms, member: state, lots: lots,
                into: &effects)
        case .cancel(let originalTxnId):
            try rules.checkOriginalId(originalTxnId)
            let original = try rules.checkOriginal(
                self.original(t.partnerId, originalTxnId), of: t, originalTxnId: originalTxnId, expected: .redemption)
            try rules.checkCancel(original, originalTxnId: originalTxnId)
            let portions = journal[Self.key(t.partnerId, originalTxnId)]!.portions.map { (portion: $0, lot: self.lots[$0.lotId]!.lot) }
            rules.cancel(
                t, offset: offset, originalTxnId: originalTxnId, original: original, portions: portions, member: state, lots: lots,
                spendableBefore: LedgerRules.spendable(state, lots: lots, at: time), into: &effects)
        }
    }

    private mutating func write(_ effects: Effects, _ t: Transaction, offset: Int64) {
        for portion in effects.restored { lots[portion.lotId]!.lot.pointsLeft += portion.points }
        for update in effects.lotUpdates { lots[update.lotId]!.lot.pointsLeft = update.pointsLeft }
        if let lot = effects.newLot { lots[lot.lotId] = (t.memberId, lot) }
        if effects.memberChanged { members[t.memberId] = effects.member }
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
