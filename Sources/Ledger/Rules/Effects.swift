import Programme

/// What one rule decided for one transaction (or a barrier's expiry of one member), for
/// the store to write, in this order: `restored`, `lotUpdates`, `newLot`, `member`,
/// `portions`, `debts`, `stats`, `originalUpdate`, then the journal record.
///
/// One value is reused for every transaction of a shard (`reset` keeps the buffers'
/// capacity): deciding a transaction allocates nothing the rules did not allocate before.
struct Effects {
    /// Points a cancel puts back into its original's lots (`points_left + points`).
    var restored: [Portion] = []
    /// Points left set on the member's lots, in order; 0 closes the lot.
    var lotUpdates: [(lotId: Int64, pointsLeft: Int64)] = []
    /// What `lotUpdates` changed per issuer (new − old points left, one entry per update):
    /// the issuers' outstanding points move by these (issuer_outstanding).
    var outstandingChanges: [(issuer: String, points: Int64)] = []
    /// A lot created by an accrual (its id is the accrual's offset).
    var newLot: OpenLot? = nil
    /// The accrual's promotion bonuses: one lot per funder (issuer = funder), ids
    /// `LedgerRules.bonusLotId(offset:index:)`, written after `newLot`.
    var bonusLots: [OpenLot] = []
    /// The member afterwards, written when `memberChanged`.
    var member = MemberState.new
    var memberChanged = false
    /// After a cancel the member's lots are no longer in the cache's order: read them afresh.
    var forgetLots = false
    /// A redemption's portions (lot, issuer, points), in redemption order.
    var portions: [Portion] = []
    /// Money owed, added to the open cycle's (payer, payee) sums.
    var debts: [DebtTotal] = []
    /// Partner statistics added to the open cycle's.
    var stats: [PartnerPoints] = []
    /// What a refund or cancel writes into its original's journal row.
    var originalUpdate: OriginalUpdate? = nil
    /// The card a card operation leaves in this state (`LedgerRules+Cards`).
    var card: CardRecord? = nil
    /// A redemption at an exchange partner: the line of its conversion file
    /// (`LedgerRules+Exchange`).
    var conversion: Conversion? = nil
    var record = JournalRecord(kind: .accrual, outcome: Outcome(status: .accepted))

    /// The original is the transaction's partner's `originalTxnId`.
    enum OriginalUpdate: Equatable {
        /// The original accrual's running totals after a refund.
        case refunded(originalTxnId: String, refundedMinor: Int64, clawedPoints: Int64, refundedFeeMinor: Int64)
        /// The original redemption was cancelled by the transaction at offset `by`.
        case reversed(originalTxnId: String, by: Int64)
    }

    mutating func reset() {
        restored.removeAll(keepingCapacity: true)
        lotUpdates.removeAll(keepingCapacity: true)
        outstandingChanges.removeAll(keepingCapacity: true)
        newLot = nil
        bonusLots.removeAll(keepingCapacity: true)
        memberChanged = false
        forgetLots = false
        portions.removeAll(keepingCapacity: true)
        debts.removeAll(keepingCapacity: true)
        stats.removeAll(keepingCapacity: true)
        originalUpdate = nil
        card = nil
        conversion = nil
    }

    /// The member as the rule left it, to be written.
    mutating func store(_ member: MemberState) {
        precondition(member.shortfall >= 0, "shortfall \(member.shortfall) below zero")
        self.member = member
        memberChanged = true
    }

    /// Sets lot `lotId` of `issuer` from `old` to `new` points left (0 closes it).
    mutating func updateLot(_ lotId: Int64, issuer: String, from old: Int64, to new: Int64) {
        lotUpdates.append((lotId, new))
        if new != old { outstandingChanges.append((issuer, new - old)) }
    }

    mutating func debt(_ payer: String, _ payee: String, _ amountMinor: Int64) {
        debts.append(DebtTotal(payer: payer, payee: payee, amountMinor: amountMinor))
    }

    mutating func stat(_ delta: PartnerPoints) { stats.append(delta) }
}
