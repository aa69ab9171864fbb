import Programme
import SQLite

/// The ledger's invariants (`Invariants`): every member a batch wrote is checked when the
/// batch ends, the members written since and the cycle's debts when a cycle is sealed
/// (every build); in debug builds also after every transaction, against the file, with the
/// member's cached lots.
extension LedgerStore {
    /// Refuses to seal (`LedgerError.invariant`) when a member written since the last check
    /// or the open cycle's debts break an invariant: a sealed position must never carry a
    /// broken ledger to the clearing house. Expects everything flushed. The members of the
    /// cycle's earlier batches were checked when those ended (`checkWrittenMembers`); if
    /// another connection has written the file since the cycle opened (a damage behind the
    /// rules' back, a restore), every member of the cycle is checked again, from the file.
    func checkInvariants(cycle: Int64, programme: Programme) throws(LedgerError) {
        if writtenElsewhereThisCycle { touchedSinceCheck.formUnion(checkedThisCycle) }
        try checkWrittenMembers(consequence: "cycle \(cycle) is not sealed")
        checkedBySeal.formUnion(checkedInOpenBatch)
        checkedInOpenBatch.removeAll(keepingCapacity: true)
        var owedTo: [String: Int64] = [:]
        let d = try db.prepare("SELECT payee, SUM(amount_minor) FROM debts WHERE cycle = ? GROUP BY payee")
        d.bind(.integer(Schema.openCycle))
        while try d.step() { owedTo[d.text(0)] = d.int64(1) }
        d.reset()
        var redeemed: [String: Int64] = [:]
        let p = try db.prepare("SELECT partner_id, redeemed FROM partner_stats WHERE cycle = ?")
        defer { p.reset() }
        p.bind(.integer(Schema.openCycle))
        while try p.step() { redeemed[p.text(0)] = p.int64(1) }
        if let violation = Invariants.debtViolation(cycle: cycle, owedTo: owedTo, redeemed: redeemed, programme: programme) {
            throw LedgerError(.invariant, "\(violation); the cycle is not sealed, rebuild the shard from the log")
        }
    }

    /// Refuses the batch (`LedgerError.invariant`; `consequence` says what is not done) when
    /// a member written since its last check breaks an invariant: at the end of every batch
    /// and at a seal. Expects everything flushed.
    ///
    /// A member whose state and open lots are cached is checked as the rules wrote it
    /// (the caches are written through to the file, and debug builds compare them with the
    /// file after every transaction and here); any other is read from the file. Reading
    /// every member from the file cost about 4 µs each: 25 ms of a day's barrier in a
    /// shard of 7,000 transactions a day (docs/big-shards.md). Checking a
    /// batch's members when it ends, not all of the cycle's at its seal, took the rest of
    /// that check out of the barrier.
    func checkWrittenMembers(consequence: String) throws(LedgerError) {
        let s = try db.prepare(
            """
            SELECT m.balance, m.shortfall, m.expiry_floor, COALESCE(SUM(l.points_left), 0), COUNT(l.points_left),
            COALESCE(MIN(l.points_left), 0), MIN(l.expires_at), m.programme_state
            FROM members m LEFT JOIN lots l ON l.member_id = m.member_id AND l.points_left > 0 WHERE m.member_id = ?
            """
        )
        for memberId in touchedSinceCheck {
            let cached = cachedInvariantInputs(memberId)
            #if DEBUG
                let fromFile: (MemberState, Invariants.Lots)? = try fileInvariantInputs(memberId, s, consequence: consequence)
                if let cached, let fromFile {
                    precondition(
                        cached.0 == fromFile.0 && cached.1 == fromFile.1, "member \(memberId): cached \(cached) differs from the file's \(fromFile)")
                }
            #else
                let fromFile = cached == nil ? try fileInvariantInputs(memberId, s, consequence: consequence) : nil
            #endif
            guard let (member, lots) = cached ?? fromFile else { continue }
            if let violation = Invariants.violation(memberId: memberId, member, lots) {
                throw LedgerError(.invariant, "\(violation); \(consequence), rebuild the shard from the log")
            }
        }
        checkedInOpenBatch.formUnion(touchedSinceCheck)
        touchedSinceCheck.removeAll(keepingCapacity: true)
    }

    /// The member's state and open lots as cached, if both are.
    private func cachedInvariantInputs(_ memberId: String) -> (MemberState, Invariants.Lots)? {
        guard let member = state.members[memberId] ?? committedMembers[memberId], let open = cachedLots(memberId) else { return nil }
        var lots = Invariants.Lots(openPoints: 0, openCount: Int64(open.count), lowest: 0, earliestExpiry: MemberState.noOpenLots)
        for (index, lot) in open.enumerated() {
            lots.openPoints += lot.pointsLeft
            lots.lowest = index == 0 ? lot.pointsLeft : min(lots.lowest, lot.pointsLeft)
            lots.earliestExpiry = min(lots.earliestExpiry, lot.expiresAtMilliseconds)
        }
        return (member.state, lots)
    }

    /// The member's state and open lots as the file holds them (`s`: the query above).
    private func fileInvariantInputs(
        _ memberId: String, _ s: SQLiteStatement, consequence: String
    ) throws(LedgerError) -> (MemberState, Invariants.Lots) {
        defer { s.reset() }
        s.bindText(1, memberId)
        guard try s.step(), !s.isNull(0) else {
            throw LedgerError(.invariant, "member \(memberId) was written but has no row; \(consequence)")
        }
        var member = MemberState(balance: s.int64(0), shortfall: s.int64(1), expiryFloorMilliseconds: s.int64(2))
        member.programme = try MemberProgramme.stored(s.optionalText(7), memberId: memberId)
        let lots = Invariants.Lots(
            openPoints: s.int64(3), openCount: s.int64(4), lowest: s.int64(5), earliestExpiry: s.isNull(6) ? MemberState.noOpenLots : s.int64(6))
        return (member, lots)
    }

    /// The member's invariants with this batch's unwritten lots, and its cached lots equal
    /// to the table's. A broken invariant stops the process: continuing would spread it.
    /// Debug builds check it after every transaction.
    func checkMember(_ memberId: String) throws(LedgerError) {
        guard let member = state.members[memberId] else { return }
        let s = try db.prepare(
            "SELECT COALESCE(SUM(points_left), 0), COUNT(*), COALESCE(MIN(points_left), 0), MIN(expires_at) FROM lots WHERE member_id = ? AND points_left > 0"
        )
        defer { s.reset() }
        s.bind(.text(memberId))
        _ = try s.step()
        // The table's lots plus this batch's new ones, which are inserted at the flush.
        let new = pendingOpenLots(memberId)
        let earliest = ([s.isNull(3) ? MemberState.noOpenLots : s.int64(3)] + new.map(\.expiresAtMilliseconds)).min()!
        let lots = Invariants.Lots(
            openPoints: s.int64(0) + new.reduce(0) { $0 + $1.pointsLeft }, openCount: s.int64(1) + Int64(new.count),
            lowest: s.int64(2), earliestExpiry: earliest)
        if let violation = Invariants.violation(memberId: memberId, member.state, lots) { preconditionFailure(violation) }
        s.reset()
        try checkCachedLots(memberId: memberId)
    }

    /// The member's cached lots (if any) are exactly the open lots of the table, in
    /// redemption order.
    func checkCachedLots(memberId: String) throws(LedgerError) {
        guard let cached = cachedLots(memberId) else { return }
        // Without flushing: the check must not change when rows are written.
        var stored = try tableOpenLots(memberId) + pendingOpenLots(memberId)
        stored.sort(by: OpenLot.precedes)
        precondition(cached == stored, "member \(memberId): cached lots \(cached) differ from the table's \(stored)")
    }

    /// The member's lots created in this batch and still open (not in the table yet).
    func pendingOpenLots(_ memberId: String) -> [OpenLot] {
        state.newLots.filter { $0.memberId == memberId && $0.lot.pointsLeft > 0 }.map(\.lot)
    }
}
