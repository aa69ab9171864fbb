import Programme
import SQLite

extension LedgerStore {
    /// Writes the batch's aggregates and the next offset; the caches stay valid.
    func flush(nextOffset: Int64) throws(LedgerError) {
        let state = self.state
        try flushJournal()
        try flushPortions()
        try flushLots()
        try flushExpiryQueue()
        try flushSpentLots()
        // A plain UPDATE for members whose row exists, a plain INSERT for new ones: an
        // upsert first tries the insert and then updates on the conflict.
        let update = try db.prepare(
            "UPDATE members SET balance = ?, shortfall = ?, expiry_floor = ?, programme_state = ? WHERE member_id = ?")
        let insert = try db.prepare(
            "INSERT INTO members (member_id, balance, shortfall, expiry_floor, programme_state) VALUES (?, ?, ?, ?, ?)")
        // By index: marking a member written needs no second hash lookup.
        for index in state.members.indices where state.members.values[index].dirty {
            let (id, member) = state.members[index]
            if member.stored {
                update.bindInteger(1, member.balance)
                update.bindInteger(2, member.shortfall)
                update.bindInteger(3, member.expiryFloorMilliseconds)
                bindProgramme(update, 4, member.programme)
                update.bindText(5, id)
                try update.run()
                guard db.changes == 1 else {
                    throw LedgerError(.corrupt, "member \(id) is missing from the members table of \(db.path); rebuild the shard from the log")
                }
            } else {
                insert.bindText(1, id)
                insert.bindInteger(2, member.balance)
                insert.bindInteger(3, member.shortfall)
                insert.bindInteger(4, member.expiryFloorMilliseconds)
                bindProgramme(insert, 5, member.programme)
                try insert.run()
            }
            state.members.values[index].dirty = false
            state.members.values[index].stored = true
            touchedSinceCheck.insert(id)
        }
        let d = try db.prepare(
            "INSERT INTO debts (cycle, payer, payee, amount_minor) VALUES (?, ?, ?, ?) ON CONFLICT (cycle, payer, payee) DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor"
        )
        for (key, amount) in state.debts {
            try d.bind(.integer(Schema.openCycle), .text(key.payer), .text(key.payee), .integer(amount)).run()
        }
        state.debts.removeAll(keepingCapacity: true)
        let p = try db.prepare(
            """
            INSERT INTO partner_stats (cycle, partner_id, issued, redeemed, expired, clawed_back, fees_minor, promoted,
            redemption_fees_minor, funded_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (cycle, partner_id) DO UPDATE SET issued = issued + excluded.issued, redeemed = redeemed + excluded.redeemed,
            expired = expired + excluded.expired, clawed_back = clawed_back + excluded.clawed_back, fees_minor = fees_minor + excluded.fees_minor,
            promoted = promoted + excluded.promoted, redemption_fees_minor = redemption_fees_minor + excluded.redemption_fees_minor,
            funded_minor = funded_minor + excluded.funded_minor
            """
        )
        for (id, s) in state.stats {
            try p.bind(
                .integer(Schema.openCycle), .text(id), .integer(s.issued), .integer(s.redeemed), .integer(s.expired),
                .integer(s.clawedBack), .integer(s.feesMinor), .integer(s.promoted), .integer(s.redemptionFeesMinor), .integer(s.fundedMinor)
            ).run()
        }
        state.stats.removeAll(keepingCapacity: true)
        try flushOutstanding()
        try flushCycleTimes()
        try db.prepare(
            "UPDATE shard SET next_offset = ?, open_accepted = open_accepted + ?, open_rejected = open_rejected + ?, open_duplicates = open_duplicates + ?, open_dead_letters = open_dead_letters + ?, open_hash = ? WHERE id = 1"
        ).bind(
            .integer(nextOffset), .integer(state.counts.accepted), .integer(state.counts.rejected), .integer(state.counts.duplicates),
            .integer(state.counts.deadLetters), .text(chain.hex())
        ).run()
        state.counts = EntryCounts()
    }
}

extension LedgerStore {
    /// Writes a rule's effects for `memberId` (the transaction `offset` of partner
    /// `partnerId`): lots, the member, portions, debts, statistics, the original's row.
    /// The journal record is written by `journal`.
    func write(_ effects: Effects, memberId: String, partnerId: String, offset: Int64) throws(LedgerError) {
        absorb(effects, memberId: memberId, partnerId: partnerId, offset: offset)
        if !effects.restored.isEmpty {
            let update = try db.prepare("UPDATE lots SET points_left = points_left + ? WHERE lot_id = ?")
            // A lot given points back may have left the expiry queue (a sweep found it
            // empty): it goes back in, so the next barrier's sweep sees it if it is due.
            let requeue = try db.prepare(
                "INSERT OR IGNORE INTO expiry_queue (expires_at, lot_id) SELECT expires_at, lot_id FROM lots WHERE lot_id = ? AND expires_at < ?")
            for portion in effects.restored {
                try update.bind(.integer(portion.points), .integer(portion.lotId)).run()
                try requeue.bind(.integer(portion.lotId), .integer(Programme.neverExpires)).run()
                // Expiry by inactivity: the lot never expires on its own; it is queued at
                // the member's deadline.
                if let deadline = effects.member.programme.activity.deadlineMilliseconds, effects.memberChanged {
                    state.expiries.append((deadline, portion.lotId))
                }
            }
        }
        if effects.forgetLots { forgetLots(memberId) }
        for update in effects.lotUpdates {
            try setLotPoints(update.lotId, update.pointsLeft, memberId: memberId)
            if update.pointsLeft == 0, effects.portions.contains(where: { $0.lotId == update.lotId }) {
                state.spentByRedemption.append(update.lotId)
            }
        }
        // The accrual's own lot, then its promotions' bonus lots (issuer: the funder), each
        // queued for expiry.
        func insertQueued(_ lot: OpenLot) throws(LedgerError) {
            try insertLot(memberId: memberId, lot)
            if lot.expiresAtMilliseconds != Programme.neverExpires {
                self.state.expiries.append((lot.expiresAtMilliseconds, lot.lotId))
            } else if let deadline = effects.member.programme.activity.deadlineMilliseconds, effects.memberChanged {
                // Expiry by inactivity: queued at the member's deadline as of now
                // (LedgerRules+ExpiryPolicy.swift); `lotsDue` moves it on if the deadline moves.
                self.state.expiries.append((deadline, lot.lotId))
            }
        }
        if let lot = effects.newLot { try insertQueued(lot) }
        for lot in effects.bonusLots { try insertQueued(lot) }
        if effects.memberChanged { storeMember(memberId, effects.member) }
        let state = self.state
        // The issuers' outstanding points: every lot's points left, as changed here.
        if let lot = effects.newLot { state.outstanding[lot.issuer, default: 0] += lot.pointsLeft }
        for lot in effects.bonusLots { state.outstanding[lot.issuer, default: 0] += lot.pointsLeft }
        for portion in effects.restored { state.outstanding[portion.issuer, default: 0] += portion.points }
        for change in effects.outstandingChanges { state.outstanding[change.issuer, default: 0] += change.points }
        for portion in effects.portions {
            state.portions.append(BatchState.PortionRow(redemptionOffset: offset, lotId: portion.lotId, points: portion.points))
        }
        for debt in effects.debts {
            state.addDebt(payer: debt.payer, payee: debt.payee, amountMinor: debt.amountMinor)
        }
        for delta in effects.stats {
            state.updateStats(delta.partnerId) {
                $0.issued += delta.issued
                $0.redeemed += delta.redeemed
                $0.expired += delta.expired
                $0.clawedBack += delta.clawedBack
                $0.feesMinor += delta.feesMinor
                $0.promoted += delta.promoted
                $0.redemptionFeesMinor += delta.redemptionFeesMinor
                $0.fundedMinor += delta.fundedMinor
            }
        }
        if let update = effects.originalUpdate { try updateOriginal(partnerId: partnerId, update) }
        if let card = effects.card { try writeCard(card) }
        if let conversion = effects.conversion {  // an exchange partner's (LedgerStore+Conversions)
            try insertConversion(conversion)
            absorbConversion(conversion)
        }
    }

    /// `members.programme_state`: NULL while the state is empty.
    private func bindProgramme(_ statement: SQLiteStatement, _ index: Int32, _ programme: MemberProgramme) {
        if let text = programme.storedText { statement.bindText(index, text) } else { statement.bindNull(index) }
    }

    // MARK: Barriers

    /// Every lot due at `time` (expiry ≤ time) with points left, by lot id; their entries
    /// leave the expiry queue. Reads the queue's due range and those lots only: O(lots due
    /// since the last sweep), not O(open lots) (docs/performance.md, "Barriers").
    /// Expiry by inactivity: a lot whose member's deadline is after `time` is not due; its
    /// entry goes back into the queue at that deadline (LedgerRules+ExpiryPolicy.swift).
    func lotsDue(atOrBefore time: Int64) throws(LedgerError) -> [LedgerRules.DueLot] {
        let queued = try queuedLotsDue(atOrBefore: time)
        var due: [LedgerRules.DueLot] = []
        due.reserveCapacity(queued.count)
        for lot in queued {
            let member = try memberState(lot.memberId)
            if let deadline = member.programme.activity.deadlineMilliseconds, deadline > time {
                state.expiries.append((deadline, lot.lotId))
            } else {
                due.append(lot)
            }
        }
        if !state.expiries.isEmpty { try flushExpiryQueue() }
        return due
    }

    /// DISTINCT: under expiry by inactivity a lot may be queued at more than one time (at
    /// its creation, again when a cancel gives it points back).
    private func queuedLotsDue(atOrBefore time: Int64) throws(LedgerError) -> [LedgerRules.DueLot] {
        let s = try db.prepare(
            """
            SELECT DISTINCT l.lot_id, l.member_id, l.issuer, l.points_left FROM expiry_queue q JOIN lots l ON l.lot_id = q.lot_id
            WHERE q.expires_at <= ? AND l.points_left > 0 ORDER BY l.lot_id
            """
        )
        defer { s.reset() }
        s.bind(.integer(time))
        var due: [LedgerRules.DueLot] = []
        while try s.step() { due.append(LedgerRules.DueLot(lotId: s.int64(0), memberId: s.text(1), issuer: s.text(2), points: s.int64(3))) }
        try db.prepare("DELETE FROM expiry_queue WHERE expires_at <= ?").bind(.integer(time)).run()
        return due
    }

    static let expiryRowsPerInsert = 64
    private static let expiryInsert = "INSERT OR IGNORE INTO expiry_queue (expires_at, lot_id) VALUES "
    private static let expiryInsertMany = expiryInsert + Array(repeating: "(?, ?)", count: expiryRowsPerInsert).joined(separator: ", ")
    private static let expiryInsertOne = expiryInsert + "(?, ?)"

    /// Queues the batch's new lots by expiry, many rows to a statement (OR IGNORE: a
    /// cancel may have queued one already).
    func flushExpiryQueue() throws(LedgerError) {
        let rows = state.expiries
        guard !rows.isEmpty else { return }
        state.expiries.removeAll(keepingCapacity: true)
        try db.insertRows(
            rows, many: Self.expiryInsertMany, one: Self.expiryInsertOne, perStatement: Self.expiryRowsPerInsert, columns: 2,
            bind: Self.bindExpiry)
    }

    private static func bindExpiry(_ s: SQLiteStatement, _ row: (expiresAt: Int64, lotId: Int64), base: Int32) {
        s.bindInteger(base + 1, row.expiresAt)
        s.bindInteger(base + 2, row.lotId)
    }

    /// Writes a sealed cycle (`LedgerRules.seal`; everything flushed up to its barrier):
    /// the open cycle's debts and statistics move to it, its counts and the chained digest
    /// (`chainedDigest`) go into its row, and the next cycle's running hash starts empty.
    /// The touched members' invariants are checked first.
    func write(_ seal: LedgerRules.CycleSeal, programme: Programme) throws(LedgerError) -> CyclePosition? {
        let cycle = seal.cycle
        try checkInvariants(cycle: cycle, programme: programme)
        let previous = try lastSealedDigest()
        let running = chain.sealed()
        try db.prepare("UPDATE debts SET cycle = ? WHERE cycle = ?").bind(.integer(cycle), .integer(Schema.openCycle)).run()
        try db.prepare("UPDATE partner_stats SET cycle = ? WHERE cycle = ?").bind(.integer(cycle), .integer(Schema.openCycle)).run()
        try sealOutstanding(cycle: cycle)
        try sealConversions(cycle: cycle)
        try sealCycleTimes(cycle: cycle)
        try db.prepare(
            "UPDATE shard SET last_sealed_cycle = ?, open_first_offset = ?, open_accepted = 0, open_rejected = 0, open_duplicates = 0, open_dead_letters = 0, open_hash = '' WHERE id = 1"
        ).bind(.integer(cycle), .integer(seal.nextFirstOffset)).run()
        let ledgerDigest = try chainedDigest(seal, previous: previous, running: running)
        try db.prepare("INSERT INTO cycles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").bind(
            .integer(cycle), .integer(seal.offsets.lowerBound), .integer(seal.offsets.upperBound), .integer(seal.closedAtMilliseconds),
            .integer(seal.counts.accepted), .integer(seal.counts.rejected), .integer(seal.counts.duplicates),
            .integer(seal.counts.deadLetters), .text(ledgerDigest)
        ).run()
        return try storedPosition(cycle: cycle)
    }

    func insertDeadLetter(offset: Int64, reason: String) throws(LedgerError) {
        try db.prepare("INSERT INTO dead_letters (offset, reason) VALUES (?, ?)").bind(.integer(offset), .text(reason)).run()
        absorbDeadLetter(offset: offset, reason: reason)
        state.counts.deadLetters += 1
    }
}

// Exposure (issue 14): each issuer's outstanding points, kept as a running level.
extension LedgerStore {
    /// Adds the batch's changes to issuer_outstanding; an issuer at 0 loses its row (as a
    /// table rebuilt from the lots would have none), so the level never depends on batches.
    func flushOutstanding() throws(LedgerError) {
        let changes = state.outstanding
        guard !changes.isEmpty else { return }
        state.outstanding.removeAll(keepingCapacity: true)
        let upsert = try db.prepare(
            "INSERT INTO issuer_outstanding (issuer, points) VALUES (?, ?) ON CONFLICT (issuer) DO UPDATE SET points = points + excluded.points")
        var emptied = false
        for (issuer, points) in changes where points != 0 {
            try upsert.bind(.text(issuer), .integer(points)).run()
            emptied = emptied || points < 0
        }
        if emptied { try db.execute("DELETE FROM issuer_outstanding WHERE points = 0") }
    }

    /// The sealed cycle's `outstanding`: every issuer's level at the seal (a row for each
    /// issuer with points open, besides the cycle's active partners, whose level may be 0).
    func sealOutstanding(cycle: Int64) throws(LedgerError) {
        try db.prepare(
            """
            INSERT INTO partner_stats (cycle, partner_id, issued, redeemed, expired, clawed_back, fees_minor, promoted, outstanding)
            SELECT ?, issuer, 0, 0, 0, 0, 0, 0, points FROM issuer_outstanding WHERE true
            ON CONFLICT (cycle, partner_id) DO UPDATE SET outstanding = excluded.outstanding
            """
        ).bind(.integer(cycle)).run()
    }
}
