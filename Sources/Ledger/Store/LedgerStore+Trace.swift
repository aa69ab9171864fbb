import Programme
import SQLite

// Per-transaction debts (issue 14, `settlement trace`): each journal row keeps the debts
// its transaction made in one text column (journal.debts, migration 12), written in the
// journal's own multi-row INSERT, so the hot path adds no statement.
extension LedgerStore {
    /// journal.debts: one "payer payee amount" line per debt, in the order made. Ids are
    /// visible ASCII without spaces (`FieldLimits.isIdByte`), so a space separates them.
    static func encodeDebts(_ debts: [DebtTotal]) -> String {
        var text = ""
        for debt in debts {
            if !text.isEmpty { text += "\n" }
            text += debt.payer + " " + debt.payee + " " + String(debt.amountMinor)
        }
        return text
    }

    /// The debts of journal.debts as `encodeDebts` wrote them; a row it cannot read is
    /// damaged (`.corrupt`).
    static func decodeDebts(_ text: String, offset: Int64) throws(LedgerError) -> [DebtTotal] {
        var debts: [DebtTotal] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty, let amount = Int64(fields[2]) else {
                throw LedgerError(
                    .corrupt, "journal offset \(offset) has an unreadable debt line \"\(line.prefix(64))\"; rebuild the shard from the log")
            }
            debts.append(DebtTotal(payer: String(fields[0]), payee: String(fields[1]), amountMinor: amount))
        }
        return debts
    }

    /// The debts the journal rows of sealed `cycle` made, row by row (offset order, each
    /// row's debts in the order made). nil: the shard never sealed `cycle`. Throws when the
    /// cycle's rows were archived (past the horizon).
    func tracedDebts(cycle: Int64) throws(LedgerError) -> [TracedDebt]? {
        let c = try db.prepare("SELECT first_offset, barrier_offset FROM cycles WHERE cycle = ?").bind(.integer(cycle))
        guard try c.step() else {
            c.reset()
            return nil
        }
        let (first, barrier) = (c.int64(0), c.int64(1))
        c.reset()
        let archived = try archivedThrough()
        guard archived < first else {
            throw LedgerError(
                .invalidBatch,
                "cycle \(cycle) (offsets \(first)...\(barrier)) was archived (archives hold offsets up to \(archived)); its journal rows are no longer in the shard"
            )
        }
        let s = try db.prepare(
            """
            SELECT offset, partner_id, partner_txn_id, member_id, kind, debts FROM journal
            WHERE offset BETWEEN ? AND ? AND debts IS NOT NULL ORDER BY offset
            """
        ).bind(.integer(first), .integer(barrier))
        defer { s.reset() }
        var traced: [TracedDebt] = []
        while try s.step() {
            let offset = s.int64(0)
            guard let kind = Transaction.Kind(rawValue: s.int64(4)) else {
                throw LedgerError(.corrupt, "journal offset \(offset) has unknown kind \(s.int64(4)); rebuild the shard from the log")
            }
            for debt in try Self.decodeDebts(s.text(5), offset: offset) {
                traced.append(
                    TracedDebt(
                        offset: offset, partnerId: s.text(1), partnerTxnId: s.text(2), memberId: s.text(3), kind: kind, payer: debt.payer,
                        payee: debt.payee, amountMinor: debt.amountMinor))
            }
        }
        return traced
    }
}
