import Programme
import SQLite

// The journal (one row per journaled transaction, the idempotency key its primary key)
// and the redemptions' portions: written behind, many rows to a statement.
extension LedgerStore {
    /// Journals `t` at `offset` (its key goes into the key filter); inserted at the next flush.
    func journal(_ t: Transaction, offset: Int64, _ record: JournalRecord, key: KeyFilter.Hash) throws(LedgerError) {
        try journalFilterInPlace { $0.insert(key) }
        var record = record
        record.eventTimeMilliseconds = t.eventTimeMilliseconds
        state.journal.append(
            BatchState.JournalRow(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, offset: offset, memberId: t.memberId, record: record))
    }

    /// Journal rows per multi-row INSERT: one statement per row was a large share of
    /// the ledger's time (each step opens a cursor and seeks from the root).
    static let journalRowsPerInsert = 32
    private static let journalColumns = 16
    /// The columns in table order; event_time (migration 6) comes last.
    private static let journalRowValues = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, NULL, ?)"
    private static let journalInsertMany =
        "INSERT INTO journal VALUES " + Array(repeating: journalRowValues, count: journalRowsPerInsert).joined(separator: ", ")
    private static let journalInsertOne = "INSERT INTO journal VALUES " + journalRowValues

    /// Inserts the batch's pending journal rows. Called by every flush and before any
    /// read or update of the journal, so SQL always sees every journaled transaction.
    func flushJournal() throws(LedgerError) {
        let rows = state.journal
        guard !rows.isEmpty else { return }
        state.journal.removeAll(keepingCapacity: true)
        try db.insertRows(
            rows, many: Self.journalInsertMany, one: Self.journalInsertOne, perStatement: Self.journalRowsPerInsert,
            columns: Self.journalColumns, bind: bindJournalRow)
    }

    static let portionRowsPerInsert = 64
    private static let portionInsert = "INSERT INTO portions (redemption_offset, lot_id, points) VALUES "
    private static let portionInsertMany = portionInsert + Array(repeating: "(?, ?, ?)", count: portionRowsPerInsert).joined(separator: ", ")
    private static let portionInsertOne = portionInsert + "(?, ?, ?)"

    /// Inserts the batch's pending portions (as `flushJournal`, for the same reason): at
    /// every flush and before a cancel reads them.
    func flushPortions() throws(LedgerError) {
        let rows = state.portions
        guard !rows.isEmpty else { return }
        state.portions.removeAll(keepingCapacity: true)
        try db.insertRows(
            rows, many: Self.portionInsertMany, one: Self.portionInsertOne, perStatement: Self.portionRowsPerInsert, columns: 3
        ) { statement, row, base in
            statement.bindInteger(base + 1, row.redemptionOffset)
            statement.bindInteger(base + 2, row.lotId)
            statement.bindInteger(base + 3, row.points)
        }
    }

    private func bindJournalRow(_ s: SQLiteStatement, _ row: BatchState.JournalRow, base: Int32) {
        s.bindText(base + 1, row.partnerId)
        s.bindText(base + 2, row.partnerTxnId)
        s.bindInteger(base + 3, row.offset)
        s.bindText(base + 4, row.memberId)
        let record = row.record
        s.bindInteger(base + 5, record.kind.rawValue)
        s.bindText(base + 6, record.outcome.status.rawValue)
        if let reason = record.outcome.reason { s.bindText(base + 7, reason.rawValue) } else { s.bindNull(base + 7) }
        s.bindText(base + 8, record.outcome.detail)
        s.bindInteger(base + 9, record.outcome.pointsDelta)
        s.bindInteger(base + 10, record.outcome.balanceAfter)
        s.bindInteger(base + 11, record.amountMinor)
        s.bindInteger(base + 12, record.points)
        s.bindInteger(base + 13, record.feeMinor)
        Self.bind(s, base + 14, record.lotId)
        Self.bind(s, base + 15, record.originalOffset)
        Self.bind(s, base + 16, record.eventTimeMilliseconds)
    }

    private static func bind(_ s: SQLiteStatement, _ column: Int32, _ value: Int64?) {
        if let value { s.bindInteger(column, value) } else { s.bindNull(column) }
    }

    func storedOutcome(partnerId: String, partnerTxnId: String, key: KeyFilter.Hash) throws(LedgerError) -> (offset: Int64, outcome: Outcome)? {
        guard try journalFilterInPlace({ $0.mightContain(key) }) else { return nil }
        try flushJournal()
        let s = try db.prepare(
            "SELECT offset, status, reason, detail, points_delta, balance_after FROM journal WHERE partner_id = ? AND partner_txn_id = ?"
        )
        defer { s.reset() }
        s.bindText(1, partnerId)
        s.bindText(2, partnerTxnId)
        guard try s.step() else { return nil }
        guard let status = Outcome.Status(rawValue: s.text(1)) else {
            throw LedgerError(
                .corrupt, "journal offset \(s.int64(0)) has unknown status \"\(s.text(1))\"; the file is damaged, rebuild it from the log")
        }
        let outcome = Outcome(
            status: status, reason: s.optionalText(2).flatMap(RejectReason.init(rawValue:)), detail: s.text(3),
            pointsDelta: s.int64(4), balanceAfter: s.int64(5))
        return (s.int64(0), outcome)
    }

    func storedOriginal(partnerId: String, partnerTxnId: String) throws(LedgerError) -> OriginalRecord? {
        try flushJournal()
        let s = try db.prepare(
            """
            SELECT offset, member_id, kind, status, amount_minor, points, fee_minor, lot_id, refunded_minor, clawed_points,
            refunded_fee_minor, reversed_by, event_time FROM journal WHERE partner_id = ? AND partner_txn_id = ?
            """
        )
        defer { s.reset() }
        s.bind(.text(partnerId), .text(partnerTxnId))
        guard try s.step() else { return nil }
        return OriginalRecord(
            offset: s.int64(0), memberId: s.text(1), kind: TransactionKind(rawValue: s.int64(2)), status: s.text(3),
            amountMinor: s.int64(4), points: s.int64(5), feeMinor: s.int64(6), lotId: s.isNull(7) ? nil : s.int64(7),
            refundedMinor: s.int64(8), clawedPoints: s.int64(9), refundedFeeMinor: s.int64(10),
            reversedBy: s.isNull(11) ? nil : s.int64(11), eventTimeMilliseconds: s.isNull(12) ? nil : s.int64(12))
    }

    /// Runs `body` on the journal's key filter, (re)built from the file first when missing
    /// or full. In place: the filter's bit array is never copied.
    func journalFilterInPlace<T>(_ body: (inout KeyFilter) -> T) throws(LedgerError) -> T {
        if journalKeys == nil || journalKeys!.isFull {
            journalKeys = try hotJournalFilter(also: [])
        }
        return body(&journalKeys!)
    }

    /// A key filter of the hot journal's keys and `also`, sized for 4× as many: its memory
    /// follows the hot journal, not history.
    func hotJournalFilter(also: [KeyFilter.Hash]) throws(LedgerError) -> KeyFilter {
        try flushJournal()
        let s = try db.prepare("SELECT partner_id, partner_txn_id FROM journal")
        defer { s.reset() }
        var keys: [KeyFilter.Hash] = also
        while try s.step() { keys.append(KeyFilter.hash(partnerId: s.text(0), partnerTxnId: s.text(1))) }
        var filter = KeyFilter(capacity: max(4 * keys.count, 1 << 16))
        for key in keys { filter.insert(key) }
        return filter
    }

    /// The portions of the redemption at `offset` with their lots as stored (whatever
    /// points they have left), by lot: what a cancel gives back.
    func portions(ofRedemption offset: Int64) throws(LedgerError) -> [(portion: Portion, lot: OpenLot)] {
        try flushPortions()
        try flushLots()
        let s = try db.prepare(
            """
            SELECT p.lot_id, p.points, l.issuer, l.points_left, l.expires_at, l.created_at
            FROM portions p JOIN lots l ON l.lot_id = p.lot_id WHERE p.redemption_offset = ? ORDER BY p.lot_id
            """
        )
        defer { s.reset() }
        s.bindInteger(1, offset)
        var portions: [(portion: Portion, lot: OpenLot)] = []
        while try s.step() {
            let lot = OpenLot(
                lotId: s.int64(0), issuer: s.text(2), pointsLeft: s.int64(3), expiresAtMilliseconds: s.int64(4),
                createdAtMilliseconds: s.int64(5))
            portions.append((Portion(lotId: lot.lotId, issuer: lot.issuer, points: s.int64(1)), lot))
        }
        return portions
    }

    /// Writes what a refund or cancel changed in its original's journal row (the
    /// original is `partnerId`'s).
    func updateOriginal(partnerId: String, _ update: Effects.OriginalUpdate) throws(LedgerError) {
        switch update {
        case .refunded(let originalTxnId, let refundedMinor, let clawedPoints, let refundedFeeMinor):
            try db.prepare(
                "UPDATE journal SET refunded_minor = ?, clawed_points = ?, refunded_fee_minor = ? WHERE partner_id = ? AND partner_txn_id = ?"
            ).bind(.integer(refundedMinor), .integer(clawedPoints), .integer(refundedFeeMinor), .text(partnerId), .text(originalTxnId)).run()
        case .reversed(let originalTxnId, let by):
            try db.prepare("UPDATE journal SET reversed_by = ? WHERE partner_id = ? AND partner_txn_id = ?")
                .bind(.integer(by), .text(partnerId), .text(originalTxnId)).run()
        }
    }
}
