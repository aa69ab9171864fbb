import LedgerArchive
import Programme
import SQLite

/// What the file holds, for people and tests: members, totals, sealed positions.
extension LedgerStore {
    /// The log time: the close time of the last sealed cycle (nil before the first). Read
    /// from the file each time, so a rolled-back seal is never seen.
    func logTimeMilliseconds() throws(LedgerError) -> Int64? {
        let s = try db.prepare("SELECT closed_at FROM cycles WHERE cycle = (SELECT last_sealed_cycle FROM shard WHERE id = 1)")
        defer { s.reset() }
        return try s.step() ? s.int64(0) : nil
    }

    /// The member as the file stores them. Expiry is applied lazily, so lots due but not
    /// yet expired (until an accepted transaction of the member or a barrier) are still
    /// here; `view(of:at:)` shows what results report.
    func view(of memberId: String) throws(LedgerError) -> MemberView {
        var view = MemberView(memberId: memberId, balance: 0, shortfall: 0, lots: [])
        let m = try db.prepare("SELECT balance, shortfall FROM members WHERE member_id = ?")
        m.bind(.text(memberId))
        if try m.step() {
            view.balance = m.int64(0)
            view.shortfall = m.int64(1)
        }
        m.reset()
        view.lots = try tableOpenLots(memberId)
        return view
    }

    /// The member as every result and balance answer at `timeMilliseconds` reports them:
    /// lots due then (expiry ≤ time) left out, of the lots and of the balance.
    func view(of memberId: String, at timeMilliseconds: Int64) throws(LedgerError) -> MemberView {
        var view = try self.view(of: memberId)
        let due = view.lots.filter { $0.expiresAtMilliseconds <= timeMilliseconds }
        view.lots.removeAll { $0.expiresAtMilliseconds <= timeMilliseconds }
        view.balance -= due.reduce(0) { $0 + $1.pointsLeft }
        return view
    }

    /// Every member as the members table holds it, in member-id order (outside a batch:
    /// nothing is cached).
    func storedMembers() throws(LedgerError) -> [(id: String, member: MemberState)] {
        let s = try db.prepare("SELECT member_id, balance, shortfall, expiry_floor, programme_state FROM members ORDER BY member_id")
        defer { s.reset() }
        var members: [(id: String, member: MemberState)] = []
        while try s.step() {
            let id = s.text(0)
            let programme = try MemberProgramme.stored(s.optionalText(4), memberId: id)
            members.append(
                (id, MemberState(balance: s.int64(1), shortfall: s.int64(2), expiryFloorMilliseconds: s.int64(3), programme: programme)))
        }
        return members
    }

    /// The shard's totals since its first entry: the hot tables' sums, and the archived
    /// cycle summaries' (`archived_partner_totals`, `archived_debt_totals`).
    func totals() throws(LedgerError) -> ShardTotals {
        var outstanding: [String: Int64] = [:]
        let o = try db.prepare("SELECT issuer, SUM(points_left) FROM lots GROUP BY issuer")
        while try o.step() { outstanding[o.text(0)] = o.int64(1) }
        o.reset()
        var partners: [String: PartnerTotals] = [:]
        let p = try db.prepare(
            "SELECT partner_id, SUM(issued), SUM(redeemed), SUM(expired), SUM(clawed_back), SUM(fees_minor), SUM(promoted) FROM partner_stats GROUP BY partner_id"
        )
        while try p.step() {
            let id = p.text(0)
            partners[id] = PartnerTotals(
                partnerId: id, issued: p.int64(1), redeemed: p.int64(2), expired: p.int64(3),
                clawedBack: p.int64(4), outstanding: 0, feesMinor: p.int64(5), promoted: p.int64(6))
        }
        p.reset()
        let archived = try archivedTotals()
        for row in archived.partners {
            let id = row[0].text ?? ""
            var sum = partners[
                id, default: PartnerTotals(partnerId: id, issued: 0, redeemed: 0, expired: 0, clawedBack: 0, outstanding: 0, feesMinor: 0)]
            sum.issued += row[1].integer ?? 0
            sum.redeemed += row[2].integer ?? 0
            sum.expired += row[3].integer ?? 0
            sum.clawedBack += row[4].integer ?? 0
            sum.feesMinor += row[5].integer ?? 0
            sum.promoted += row[6].integer ?? 0
            partners[id] = sum
        }
        for (issuer, points) in outstanding {
            partners[
                issuer, default: PartnerTotals(partnerId: issuer, issued: 0, redeemed: 0, expired: 0, clawedBack: 0, outstanding: 0, feesMinor: 0)
            ]
            .outstanding = points
        }
        let d = try db.prepare("SELECT payer, payee, SUM(amount_minor) FROM debts GROUP BY payer, payee ORDER BY payer, payee")
        var debtSums: [BatchState.DebtKey: Int64] = [:]
        while try d.step() { debtSums[BatchState.DebtKey(payer: d.text(0), payee: d.text(1)), default: 0] += d.int64(2) }
        d.reset()
        for row in archived.debts {
            debtSums[BatchState.DebtKey(payer: row[0].text ?? "", payee: row[1].text ?? ""), default: 0] += row[2].integer ?? 0
        }
        let debts = debtSums.map { DebtTotal(payer: $0.key.payer, payee: $0.key.payee, amountMinor: $0.value) }
            .sorted { ($0.payer, $0.payee) < ($1.payer, $1.payee) }
        let row = try readShardRow()
        let c = try db.prepare(
            "SELECT COALESCE(SUM(accepted),0), COALESCE(SUM(rejected),0), COALESCE(SUM(duplicates),0), COALESCE(SUM(dead_letters),0) FROM cycles")
        defer { c.reset() }
        _ = try c.step()
        return ShardTotals(
            partners: partners.values.sorted { $0.partnerId < $1.partnerId }, debts: debts,
            accepted: row.counts.accepted + c.int64(0), rejected: row.counts.rejected + c.int64(1),
            duplicates: row.counts.duplicates + c.int64(2), deadLetters: row.counts.deadLetters + c.int64(3),
            nextOffset: row.nextOffset)
    }

    /// Every sealed cycle's position, by cycle (summaries that left the hot tables read
    /// from their archives).
    func positions() throws(LedgerError) -> [CyclePosition] {
        let s = try db.prepare("SELECT cycle FROM cycles ORDER BY cycle")
        var cycles: [Int64] = []
        while try s.step() { cycles.append(s.int64(0)) }
        s.reset()
        var positions: [CyclePosition] = []
        var files: (file: String, content: ArchiveContent)?
        for cycle in cycles {
            if let position = try storedPosition(cycle: cycle, files: &files) {
                positions.append(position)
            }
        }
        return positions
    }

    func storedPosition(cycle: Int64) throws(LedgerError) -> CyclePosition? {
        var files: (file: String, content: ArchiveContent)?
        return try storedPosition(cycle: cycle, files: &files)
    }

    private func storedPosition(
        cycle: Int64, files: inout (file: String, content: ArchiveContent)?
    ) throws(LedgerError) -> CyclePosition? {
        let s = try db.prepare(
            "SELECT first_offset, barrier_offset, closed_at, accepted, rejected, duplicates, dead_letters, ledger_digest FROM cycles WHERE cycle = ?"
        )
        s.bind(.integer(cycle))
        guard try s.step() else {
            s.reset()
            return nil
        }
        var position = CyclePosition(
            cycle: cycle, partition: Int64(partition), firstOffset: s.int64(0), barrierOffset: s.int64(1),
            closedAtMilliseconds: s.int64(2), accepted: s.int64(3), rejected: s.int64(4),
            duplicates: s.int64(5), deadLetters: s.int64(6), debts: [], points: [], ledgerDigest: s.text(7))
        s.reset()
        Self.fill(
            &position,
            from: try cycleSummaries(cycle: cycle, barrierOffset: position.barrierOffset, files: &files))
        return position
    }
}
