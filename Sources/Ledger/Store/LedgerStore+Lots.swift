import Programme
import SQLite

// The member's open lots: the lots table is the truth, the cache is written through.
extension LedgerStore {

    /// The member's open lots in redemption order as cached (batch, then committed);
    /// nil when not cached.
    func cachedLots(_ memberId: String) -> [OpenLot]? {
        if let lots = state.lots[memberId] { return lots }
        if !state.uncachedLots.isEmpty, state.uncachedLots.contains(memberId) { return nil }
        return committedLots[memberId]
    }

    /// The member's open lots in redemption order: from the cache, else from the lots
    /// table (and then cached, unless there are too many).
    func openLots(_ memberId: String) throws(LedgerError) -> [OpenLot] {
        if let lots = cachedLots(memberId) {
            state.lots[memberId] = lots
            return lots
        }
        try flushLots()
        let lots = try tableOpenLots(memberId)
        if lots.count <= Self.maxCachedLotsPerMember && !state.uncachedLots.contains(memberId) {
            state.lots[memberId] = lots
        }
        return lots
    }

    /// The member's open lots as the lots table holds them, in redemption order (this
    /// batch's new lots only once `flushLots` inserted them).
    func tableOpenLots(_ memberId: String) throws(LedgerError) -> [OpenLot] {
        let s = try db.prepare(
            "SELECT lot_id, issuer, points_left, expires_at, created_at, available_at FROM lots WHERE member_id = ? AND points_left > 0 ORDER BY expires_at, created_at, lot_id"
        )
        defer { s.reset() }
        s.bindText(1, memberId)
        var lots: [OpenLot] = []
        while try s.step() {
            lots.append(
                OpenLot(
                    lotId: s.int64(0), issuer: s.text(1), pointsLeft: s.int64(2), expiresAtMilliseconds: s.int64(3),
                    createdAtMilliseconds: s.int64(4), availableAtMilliseconds: Self.availableAt(s, 5)))
        }
        return lots
    }

    /// A new lot: kept in the batch until the next flush inserts it (`flushLots`) and,
    /// where the member's lots are cached, put into the cache at its place in redemption
    /// order.
    func insertLot(memberId: String, _ lot: OpenLot) throws(LedgerError) {
        precondition(
            state.newLots.last.map { LedgerRules.creationKey(lotId: $0.lot.lotId) < LedgerRules.creationKey(lotId: lot.lotId) } ?? true,
            "lot \(lot.lotId) out of order")
        state.newLots.append(BatchState.NewLot(memberId: memberId, lot: lot, pointsInitial: lot.pointsLeft))
        guard batchLots(memberId) else { return }
        guard state.lots[memberId]!.count < Self.maxCachedLotsPerMember else {
            forgetLots(memberId)
            return
        }
        // In place: the batch's array is unique, so no copy per lot.
        state.lots[memberId]!.insertSorted(lot)
    }

    /// Makes the member's cached lots (if any) the batch's own, so that they can be
    /// changed in place. false: not cached.
    private func batchLots(_ memberId: String) -> Bool {
        if state.lots[memberId] != nil { return true }
        if !state.uncachedLots.isEmpty, state.uncachedLots.contains(memberId) { return false }
        guard let committed = committedLots[memberId] else { return false }
        state.lots[memberId] = committed
        return true
    }

    /// Sets an open lot's points left in the table and in the member's cached lots (a lot
    /// at 0 leaves them).
    func setLotPoints(_ lotId: Int64, _ points: Int64, memberId: String) throws(LedgerError) {
        precondition(points >= 0, "lot \(lotId) would go below zero (\(points))")
        if points == 0 { state.spentLots.append(lotId) }
        if let index = state.newLotIndex(lotId) {
            // Not in the table yet: the flush inserts it with these points left.
            state.newLots[index].lot.pointsLeft = points
        } else {
            let s = try db.prepare("UPDATE lots SET points_left = ? WHERE lot_id = ?")
            s.bindInteger(1, points)
            s.bindInteger(2, lotId)
            try s.run()
        }
        guard batchLots(memberId) else { return }
        state.lots[memberId]!.setPoints(points, lotId: lotId, memberId: memberId)
    }

    static let lotRowsPerInsert = 32
    private static let lotInsert =
        "INSERT INTO lots (lot_id, member_id, issuer, points_initial, points_left, expires_at, created_at, available_at) VALUES "
    private static let lotTuple = "(?, ?, ?, ?, ?, ?, ?, ?)"
    private static let lotInsertMany = lotInsert + Array(repeating: lotTuple, count: lotRowsPerInsert).joined(separator: ", ")
    private static let lotInsertOne = lotInsert + lotTuple

    /// Inserts the batch's new lots, with their points left as of now (a lot emptied in
    /// the same batch goes in at 0, as an insert and an update would leave it). Called by
    /// every flush and before anything else reads or writes the lots table by member or
    /// by a lot that may be new (a cache miss, a cancel).
    func flushLots() throws(LedgerError) {
        let rows = state.newLots
        guard !rows.isEmpty else { return }
        state.newLots.removeAll(keepingCapacity: true)
        try db.insertRows(
            rows, many: Self.lotInsertMany, one: Self.lotInsertOne, perStatement: Self.lotRowsPerInsert, columns: 8, bind: Self.bindLot)
    }

    private static func bindLot(_ s: SQLiteStatement, _ row: BatchState.NewLot, base: Int32) {
        s.bindInteger(base + 1, row.lot.lotId)
        s.bindText(base + 2, row.memberId)
        s.bindText(base + 3, row.lot.issuer)
        s.bindInteger(base + 4, row.pointsInitial)
        s.bindInteger(base + 5, row.lot.pointsLeft)
        s.bindInteger(base + 6, row.lot.expiresAtMilliseconds)
        s.bindInteger(base + 7, row.lot.createdAtMilliseconds)
        // NULL: spendable at once (every lot of a partner without a return window).
        if row.lot.availableAtMilliseconds == OpenLot.availableAtOnce {
            s.bindNull(base + 8)
        } else {
            s.bindInteger(base + 8, row.lot.availableAtMilliseconds)
        }
    }

    /// lots.available_at at `column` of a row: `OpenLot.availableAtOnce` for NULL.
    static func availableAt(_ s: SQLiteStatement, _ column: Int32) -> Int64 {
        s.isNull(column) ? OpenLot.availableAtOnce : s.int64(column)
    }

    private static let spentInsert = "INSERT OR IGNORE INTO spent_lots (first_offset, lot_id) VALUES "
    private static let spentInsertMany = spentInsert + Array(repeating: "(?, ?)", count: lotRowsPerInsert).joined(separator: ", ")
    private static let spentInsertOne = spentInsert + "(?, ?)"

    /// Queues the lots this batch left at 0 points under the open cycle's first offset
    /// (`spent_lots`, migration 17): an archive step reads the lots its cycles left spent
    /// instead of sweeping the lots table.
    ///
    /// Each lot also carries the key of its newest row (`lots.spent_first_offset`,
    /// migration 20), which is all the archive step asks of a lot's rows.
    ///
    /// A lot a redemption emptied loses its newest row of a sealed cycle (emptied before,
    /// given points back by a cancel), found by that key: it adds nothing (rows older
    /// still, left by a breakage or a clawback, wait). The archive step takes a lot only once
    /// it has no queue row past the archived range (this one, until its cycle is
    /// archived; the queue's cleanup then drops an older row and this one together). So
    /// every barrier archives the same lots as with the older rows, which each archive step
    /// read again while they waited (29,288 of them at the end of `bench history`'s
    /// 5,000,000 transactions). A lot emptied by breakage or a clawback keeps its older
    /// rows; they wait with it (docs/big-shards.md).
    func flushSpentLots() throws(LedgerError) {
        let rows = state.spentLots
        guard !rows.isEmpty else { return }
        state.spentLots.removeAll(keepingCapacity: true)
        // Flushed before the seal of the batch's barriers, so this is the emptying cycle's.
        let open = try readShardRow().openFirstOffset
        if !state.spentByRedemption.isEmpty, dropsOlderSpentRows {
            // The lot's newest older row, by its key (lots.spent_first_offset, migration 20):
            // rows older still (kept by a breakage or a clawback) wait as before.
            let older = try db.prepare(
                "DELETE FROM spent_lots WHERE first_offset = (SELECT spent_first_offset FROM lots WHERE lot_id = ?1) AND lot_id = ?1 AND first_offset < ?2"
            )
            for lotId in state.spentByRedemption { try older.bind(.integer(lotId), .integer(open)).run() }
        }
        state.spentByRedemption.removeAll(keepingCapacity: true)
        try db.insertRows(rows, many: Self.spentInsertMany, one: Self.spentInsertOne, perStatement: Self.lotRowsPerInsert, columns: 2) {
            statement, lotId, base in
            statement.bindInteger(base + 1, open)
            statement.bindInteger(base + 2, lotId)
        }
        // Each lot's newest queue row, on the row the batch emptied (its page is written anyway).
        let mark = try db.prepare("UPDATE lots SET spent_first_offset = ? WHERE lot_id = ?")
        for lotId in rows { try mark.bind(.integer(open), .integer(lotId)).run() }
    }

    /// From now on (this batch, and the committed cache after it) the member's lots are
    /// read from the table.
    func forgetLots(_ memberId: String) {
        state.lots[memberId] = nil
        state.uncachedLots.insert(memberId)
    }
}
