import Programme
import SQLite

// The journal (one row per journaled transaction, stored by offset; its keys in
// `journalKeys`) and the redemptions' portions: written behind, many rows to a statement.
extension LedgerStore {
    /// Journals `t` at `offset` (its key goes into `journalKeys`); inserted at the next flush.
    func journal(_ t: Transaction, offset: Int64, _ record: JournalRecord, key: UInt64) throws(LedgerError) {
        try withJournalKeys { $0.insert(key, JournalKeys.Key(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId), offset: offset) }
        var record = record
        record.eventTimeMilliseconds = t.eventTimeMilliseconds
        state.journal.append(
            BatchState.JournalRow(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, offset: offset, memberId: t.memberId, record: record))
    }

    /// Journal rows per multi-row INSERT: one statement per row was a large share of
    /// the ledger's time (each step opens a cursor and seeks from the root).
    static let journalRowsPerInsert = 32
    private static let journalColumns = 17
    /// The columns in table order; event_time (migration 6), then debts (migration 12) last.
    private static let journalRowValues = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, NULL, ?, ?)"
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
        // One encoded column in the same INSERT (no row per debt): NULL when none.
        if record.debts.isEmpty { s.bindNull(base + 17) } else { s.bindText(base + 17, Self.encodeDebts(record.debts)) }
    }

    private static func bind(_ s: SQLiteStatement, _ column: Int32, _ value: Int64?) {
        if let value { s.bindInteger(column, value) } else { s.bindNull(column) }
    }

    /// The offset of the journal row of `(partnerId, partnerTxnId)` (hashed `key`), if
    /// the hot journal has one. Reads at most one row, by offset.
    func journalOffset(partnerId: String, partnerTxnId: String, key: UInt64) throws(LedgerError) -> Int64? {
        guard let candidate = try withJournalKeys({ $0.candidate(key, JournalKeys.Key(partnerId: partnerId, partnerTxnId: partnerTxnId)) })
        else { return nil }
        try flushJournal()
        let s = try db.prepare("SELECT partner_id, partner_txn_id FROM journal WHERE offset = ?")
        defer { s.reset() }
        s.bindInteger(1, candidate)
        guard try s.step(), s.text(0) == partnerId, s.text(1) == partnerTxnId else { return nil }
        return candidate
    }

    func storedOutcome(partnerId: String, partnerTxnId: String, key: UInt64) throws(LedgerError) -> (offset: Int64, outcome: Outcome)? {
        guard let offset = try journalOffset(partnerId: partnerId, partnerTxnId: partnerTxnId, key: key) else { return nil }
        let s = try db.prepare("SELECT status, reason, detail, points_delta, balance_after FROM journal WHERE offset = ?")
        defer { s.reset() }
        s.bindInteger(1, offset)
        guard try s.step() else { return nil }
        guard let status = Outcome.Status(rawValue: s.text(0)) else {
            throw LedgerError(
                .corrupt, "journal offset \(offset) has unknown status \"\(s.text(0))\"; the file is damaged, rebuild it from the log")
        }
        let outcome = Outcome(
            status: status, reason: s.optionalText(1).flatMap(RejectReason.init(rawValue:)), detail: s.text(2),
            pointsDelta: s.int64(3), balanceAfter: s.int64(4))
        return (offset, outcome)
    }

    func storedOriginal(partnerId: String, partnerTxnId: String) throws(LedgerError) -> OriginalRecord? {
        let key = JournalKeys.hash(partnerId: partnerId, partnerTxnId: partnerTxnId)
        guard let offset = try journalOffset(partnerId: partnerId, partnerTxnId: partnerTxnId, key: key) else { return nil }
        let s = try db.prepare(
            """
            SELECT offset, member_id, kind, status, amount_minor, points, fee_minor, lot_id, refunded_minor, clawed_points,
            refunded_fee_minor, reversed_by, event_time, debts FROM journal WHERE offset = ?
            """
        )
        defer { s.reset() }
        s.bindInteger(1, offset)
        guard try s.step() else { return nil }
        var debts: [DebtTotal]?
        if let text = s.optionalText(13) { debts = try Self.decodeDebts(text, offset: offset) }
        // A row from before migration 6: its window counts from its cycle's close.
        let sealedAt = s.isNull(12) ? try closeTime(ofCycleHolding: offset) : nil
        return OriginalRecord(
            offset: s.int64(0), memberId: s.text(1), kind: TransactionKind(rawValue: s.int64(2)), status: s.text(3),
            amountMinor: s.int64(4), points: s.int64(5), feeMinor: s.int64(6), lotId: s.isNull(7) ? nil : s.int64(7),
            refundedMinor: s.int64(8), clawedPoints: s.int64(9), refundedFeeMinor: s.int64(10),
            reversedBy: s.isNull(11) ? nil : s.int64(11), eventTimeMilliseconds: s.isNull(12) ? nil : s.int64(12),
            sealedAtMilliseconds: sealedAt, debts: debts)
    }

    /// The close time of the sealed cycle whose entries include `offset`; nil in the open
    /// cycle. Scans `cycles` (a row a cycle): only rows from before migration 6 ask.
    private func closeTime(ofCycleHolding offset: Int64) throws(LedgerError) -> Int64? {
        let s = try db.prepare("SELECT closed_at FROM cycles WHERE first_offset <= ?1 AND barrier_offset >= ?1")
        defer { s.reset() }
        s.bindInteger(1, offset)
        return try s.step() ? s.int64(0) : nil
    }

    /// Runs `body` on the journal's keys, built from the file first when missing. In
    /// place: the map is never copied.
    func withJournalKeys<T>(_ body: (inout JournalKeys) -> T) throws(LedgerError) -> T {
        if journalKeys == nil { journalKeys = try hotJournalKeys() }
        return body(&journalKeys!)
    }

    /// The keys of the hot journal with their offsets (a scan of the journal: at the first
    /// apply after the file was opened or written elsewhere).
    func hotJournalKeys() throws(LedgerError) -> JournalKeys {
        try flushJournal()
        // Rows an archive holds may still be in the table (until the entry after its barrier).
        let count = try db.prepareDynamic("SELECT COUNT(*) FROM journal WHERE \(Self.hotOffsets)")
        let rows = try count.step() ? Int(count.int64(0)) : 0
        count.reset()
        let s = try db.prepareDynamic("SELECT partner_id, partner_txn_id, offset FROM journal WHERE \(Self.hotOffsets)")
        defer { s.reset() }
        var keys = JournalKeys(capacity: rows + rows / 4)
        while try s.step() {
            let key = JournalKeys.Key(partnerId: s.text(0), partnerTxnId: s.text(1))
            keys.insert(JournalKeys.hash(partnerId: key.partnerId, partnerTxnId: key.partnerTxnId), key, offset: s.int64(2))
        }
        return keys
    }

    /// The portions of the redemption at `offset` with their lots as stored (whatever
    /// points they have left), by lot: what a cancel gives back.
    func portions(ofRedemption offset: Int64) throws(LedgerError) -> [(portion: Portion, lot: OpenLot)] {
        try flushPortions()
        try flushLots()
        let s = try db.prepare(
            """
            SELECT p.lot_id, p.points, l.issuer, l.points_left, l.expires_at, l.created_at, l.available_at
            FROM portions p JOIN lots l ON l.lot_id = p.lot_id WHERE p.redemption_offset = ? ORDER BY p.lot_id
            """
        )
        defer { s.reset() }
        s.bindInteger(1, offset)
        var portions: [(portion: Portion, lot: OpenLot)] = []
        while try s.step() {
            let lot = OpenLot(
                lotId: s.int64(0), issuer: s.text(2), pointsLeft: s.int64(3), expiresAtMilliseconds: s.int64(4),
                createdAtMilliseconds: s.int64(5), availableAtMilliseconds: Self.availableAt(s, 6))
            portions.append((Portion(lotId: lot.lotId, issuer: lot.issuer, points: s.int64(1)), lot))
        }
        return portions
    }

    /// Writes what a refund or cancel changed in its original's journal row (the
    /// original is `partnerId`'s).
    func updateOriginal(partnerId: String, _ update: Effects.OriginalUpdate) throws(LedgerError) {
        let originalTxnId: String
        switch update {
        case .refunded(let txnId, _, _, _), .reversed(let txnId, _): originalTxnId = txnId
        }
        let key = JournalKeys.hash(partnerId: partnerId, partnerTxnId: originalTxnId)
        guard let offset = try journalOffset(partnerId: partnerId, partnerTxnId: originalTxnId, key: key) else {
            throw LedgerError(.corrupt, "the original \"\(originalTxnId)\" of partner \"\(partnerId)\" left the journal while it was reversed")
        }
        switch update {
        case .refunded(_, let refundedMinor, let clawedPoints, let refundedFeeMinor):
            try db.prepare("UPDATE journal SET refunded_minor = ?, clawed_points = ?, refunded_fee_minor = ? WHERE offset = ?")
                .bind(.integer(refundedMinor), .integer(clawedPoints), .integer(refundedFeeMinor), .integer(offset)).run()
        case .reversed(_, let by):
            try db.prepare("UPDATE journal SET reversed_by = ? WHERE offset = ?").bind(.integer(by), .integer(offset)).run()
        }
    }
}
