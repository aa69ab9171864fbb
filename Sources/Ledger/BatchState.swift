import Programme

/// What one `apply` accumulates in memory and writes once per batch (and at barriers):
/// member balances, debts, partner statistics and counts. Writing these once per batch
/// instead of once per transaction is most of the ledger's throughput.
final class BatchState {
    struct Member {
        var balance: Int64
        var shortfall: Int64
        /// A lower bound on the expiry of the member's open lots (`noOpenLots` without any):
        /// while it is above an event time nothing of the member's is due, so accruals and
        /// balance reports need not read the lots. Only a performance hint: results never
        /// depend on how low it is, as long as it is a lower bound.
        var expiryFloorMilliseconds: Int64
        /// Written at the next flush. Set by every rule that accepts a transaction for the
        /// member, so which rows exist never depends on batch boundaries.
        var dirty: Bool
        /// The members table has this member's row (read from it, or written by a flush):
        /// the flush then UPDATEs instead of INSERTing.
        var stored: Bool
        /// `MemberState.programme`.
        var programme = MemberProgramme()

        /// The member as the rules see it.
        var state: MemberState {
            MemberState(
                balance: balance, shortfall: shortfall, expiryFloorMilliseconds: expiryFloorMilliseconds, programme: programme)
        }
    }

    /// An open lot as cached in memory; the lots table is the truth.
    typealias Lot = OpenLot

    struct DebtKey: Hashable {
        var payer: String
        var payee: String
    }

    /// A journal row not yet inserted: rows are inserted many to a statement at the next
    /// flush, or before anything reads the journal.
    struct JournalRow {
        /// The idempotency key.
        var partnerId: String
        var partnerTxnId: String
        var offset: Int64
        var memberId: String
        var record: JournalRecord
    }

    /// What a redemption took from a lot, not yet inserted (as journal rows).
    struct PortionRow {
        var redemptionOffset: Int64
        var lotId: Int64
        var points: Int64
    }

    /// A lot created in this batch, not yet inserted (as journal rows).
    struct NewLot {
        var memberId: String
        var lot: Lot
        var pointsInitial: Int64
    }

    var members: [String: Member] = [:]
    /// In creation order: increasing offset, an accrual's bonus lots after its own
    /// (`LedgerRules.creationKey`).
    var newLots: [NewLot] = []
    var journal: [JournalRow] = []
    var portions: [PortionRow] = []
    /// Each member's open lots in redemption order, where known; absent means "read the
    /// lots table". Kept equal to the table by every rule that writes lots (write-through).
    var lots: [String: [Lot]] = [:]
    /// Members whose lots this batch does not cache (too many, or changed in a way the
    /// cache does not follow): read from the table, and dropped from the committed cache
    /// at commit.
    var uncachedLots: Set<String> = []
    var debts: [DebtKey: Int64] = [:]
    var stats: [String: PartnerPoints] = [:]
    /// Changes of each issuer's outstanding points (its open lots' points left), added to
    /// issuer_outstanding at the flush (LedgerStore+Flush).
    var outstanding: [String: Int64] = [:]
    /// The suspended partners and the cycle of the barrier that listed them, read once per
    /// batch when an accrual asks (LedgerStore+Suspension); nil until then.
    var suspended: [String: Int64]? = nil
    /// This batch's counts, added to the open cycle's at the flush.
    var counts = EntryCounts()
    /// The latest `LedgerRules.archiveTime` of this batch's journaled rows, raised into
    /// the open cycle's `cycle_times` row at the flush (LedgerStore+CycleTimes).
    var latestTime: Int64? = nil
    /// (expires_at, lot_id) of the lots this batch created, for the expiry queue at the
    /// next flush (`LedgerStore.flushExpiryQueue`).
    var expiries: [(expiresAt: Int64, lotId: Int64)] = []
    /// Lots this batch left at 0 points, for the spent-lot queue at the next flush
    /// (`LedgerStore.flushSpentLots`).
    var spentLots: [Int64] = []
    /// Of those, the lots a redemption emptied: their older queue rows go (`flushSpentLots`).
    var spentByRedemption: [Int64] = []
    /// Journal keys whose rows this batch's barriers archived: they leave
    /// `LedgerStore.journalKeys` only when the batch commits.
    var archivedKeys: [(hash: UInt64, key: JournalKeys.Key, offset: Int64)] = []
    /// The archive whose rows are still in the hot tables, as of this batch
    /// (`LedgerStore+ArchivedRows`); the committed value at `begin`.
    var archivedRowsLeft: ArchivedRowsLeft?
    /// A barrier of this batch sealed a cycle: once it commits, the next archive is built ahead.
    var sealed = false

    /// Where `lotId` is in `newLots`, if it is a lot of this batch (binary search: ids
    /// increase; a lot of an earlier batch is below the first and answers at once).
    func newLotIndex(_ lotId: Int64) -> Int? {
        let key = LedgerRules.creationKey(lotId: lotId)
        guard let first = newLots.first, key >= LedgerRules.creationKey(lotId: first.lot.lotId) else { return nil }
        var low = newLots.startIndex
        var high = newLots.endIndex
        while low < high {
            let middle = (low + high) / 2
            if LedgerRules.creationKey(lotId: newLots[middle].lot.lotId) < key { low = middle + 1 } else { high = middle }
        }
        return low < newLots.endIndex && newLots[low].lot.lotId == lotId ? low : nil
    }

    func addDebt(payer: String, payee: String, amountMinor: Int64) {
        debts[DebtKey(payer: payer, payee: payee), default: 0] += amountMinor
    }

    func updateStats(_ partnerId: String, _ change: (inout PartnerPoints) -> Void) {
        change(&stats[partnerId, default: PartnerPoints(partnerId: partnerId)])
    }
}

extension [OpenLot] {
    /// Inserts at the lot's place in redemption order (new lots usually go last).
    mutating func insertSorted(_ lot: OpenLot) {
        var index = endIndex
        while index > startIndex, OpenLot.precedes(lot, self[index - 1]) { index -= 1 }
        insert(lot, at: index)
    }

    /// Sets an open lot's points left; a lot at 0 is no longer open and leaves.
    mutating func setPoints(_ points: Int64, lotId: Int64, memberId: String) {
        guard let index = firstIndex(where: { $0.lotId == lotId }) else {
            preconditionFailure("member \(memberId): lot \(lotId) is not among the cached open lots")
        }
        if points == 0 {
            remove(at: index)
        } else {
            self[index].pointsLeft = points
        }
    }
}
