import Programme
import SQLite

/// `refused_keys` (migration 24): the keys of transactions refused for being dated too far
/// ahead (`LedgerRules.checkAhead`), kept until a retry of them would be past the horizon.
/// Such a row holds no cycle (one dated years ahead would hold the archives for years), so
/// its journal row can leave with its cycle while a retry of the key, once the log time
/// has caught up with its date, would pass both checks and be taken as new: after the
/// partner was told REJECTED and sent the sale again under another id. The duplicate check
/// asks this table when the hot journal does not know a key. Usually empty: it is only
/// read once a shard has ever held a row (`mayHaveRefusedKeys`).
extension LedgerStore {
    /// Keeps `t`'s key, refused at `offset` with `outcome`, until the log time passes `until`.
    func keepRefusedKey(_ t: Transaction, offset: Int64, outcome: Outcome, until: Int64) throws(LedgerError) {
        try db.prepare(
            """
            INSERT OR IGNORE INTO refused_keys (partner_id, partner_txn_id, offset, keep_until, detail, balance_after)
            VALUES (?, ?, ?, ?, ?, ?)
            """
        ).bind(
            .text(t.partnerId), .text(t.partnerTxnId), .integer(offset), .integer(until), .text(outcome.detail),
            .integer(outcome.balanceAfter)
        ).run()
        mayHaveRefusedKeys = true
    }

    /// The refusal of a key the hot journal no longer holds, as the duplicate check answers it.
    func refusedKeyOutcome(partnerId: String, partnerTxnId: String) throws(LedgerError) -> (offset: Int64, outcome: Outcome)? {
        if !refusedKeysRead {
            let any = try db.prepare("SELECT EXISTS (SELECT 1 FROM refused_keys)")
            defer { any.reset() }
            mayHaveRefusedKeys = try any.step() && any.int64(0) != 0
            refusedKeysRead = true
        }
        guard mayHaveRefusedKeys else { return nil }
        let s = try db.prepare("SELECT offset, detail, balance_after FROM refused_keys WHERE partner_id = ? AND partner_txn_id = ?")
        defer { s.reset() }
        s.bindText(1, partnerId)
        s.bindText(2, partnerTxnId)
        guard try s.step() else { return nil }
        return (s.int64(0), .rejected(.invalidField, s.text(1), balanceAfter: s.int64(2)))
    }

    /// At a seal closing at `logTime`: keys whose retries the horizon now refuses go.
    func dropRefusedKeys(before logTime: Int64) throws(LedgerError) {
        guard mayHaveRefusedKeys || !refusedKeysRead else { return }
        try db.prepare("DELETE FROM refused_keys WHERE keep_until < ?").bind(.integer(logTime)).run()
    }
}
