import Programme
import SQLite

/// `refused_keys` (migration 24): the keys of transactions refused for being dated too far
/// ahead (`LedgerRules.checkAhead`), kept until a retry of them would be past the horizon.
/// Such a row holds no cycle (one dated years ahead would hold the archives for years), so
/// its journal row can leave with its cycle while a retry of the key, once the log time
/// has caught up with its date, would pass both checks and be taken as new: after the
/// partner was told REJECTED and sent the sale again under another id. The duplicate check
/// asks this table when the hot journal does not know a key, and only for a key whose hash
/// is among the kept ones (`refusedKeyHashes`), so a shard pays nothing per transaction.
extension LedgerStore {
    /// Keeps `t`'s key (hash `key`), refused at `offset` with `outcome`, with its time
    /// (`LedgerRules.archiveTime`): it stays until that is more than the horizon in force
    /// behind the log time.
    func keepRefusedKey(_ t: Transaction, key: UInt64, offset: Int64, outcome: Outcome) throws(LedgerError) {
        try readRefusedKeyHashes()
        try db.prepare(
            """
            INSERT OR IGNORE INTO refused_keys (partner_id, partner_txn_id, offset, time, detail, balance_after)
            VALUES (?, ?, ?, ?, ?, ?)
            """
        ).bind(
            .text(t.partnerId), .text(t.partnerTxnId), .integer(offset), .integer(LedgerRules.archiveTime(of: t)),
            .text(outcome.detail), .integer(outcome.balanceAfter)
        ).run()
        // Never taken out in this process: a hash left by a rolled-back batch or a row
        // dropped since only costs a lookup that finds nothing.
        refusedKeyHashes?.insert(key)
    }

    /// The refusal of a key the hot journal no longer holds, as the duplicate check answers it.
    func refusedKeyOutcome(partnerId: String, partnerTxnId: String, key: UInt64) throws(LedgerError) -> (offset: Int64, outcome: Outcome)? {
        try readRefusedKeyHashes()
        guard refusedKeyHashes?.contains(key) == true else { return nil }
        let s = try db.prepare("SELECT offset, detail, balance_after FROM refused_keys WHERE partner_id = ? AND partner_txn_id = ?")
        defer { s.reset() }
        s.bindText(1, partnerId)
        s.bindText(2, partnerTxnId)
        guard try s.step() else { return nil }
        return (s.int64(0), .rejected(.invalidField, s.text(1), balanceAfter: s.int64(2)))
    }

    /// At a seal closing at `logTime`: the keys whose retries the horizon in force now
    /// refuses go. Counted with the horizon of the seal, not of the refusal: one lengthened
    /// since (allowed before anything is archived) keeps them longer, as it keeps the rows.
    func dropRefusedKeys(logTime: Int64, horizonMilliseconds: Int64?) throws(LedgerError) {
        guard let horizon = horizonMilliseconds else { return }
        try readRefusedKeyHashes()
        guard refusedKeyHashes?.isEmpty == false else { return }
        let (before, overflow) = logTime.subtractingReportingOverflow(horizon)
        guard !overflow else { return }
        try db.prepare("DELETE FROM refused_keys WHERE time < ?").bind(.integer(before)).run()
    }

    /// The hashes of the kept keys, read from the file once after it was opened or written
    /// elsewhere (the rows are few).
    private func readRefusedKeyHashes() throws(LedgerError) {
        guard refusedKeyHashes == nil else { return }
        var hashes: Set<UInt64> = []
        let s = try db.prepare("SELECT partner_id, partner_txn_id FROM refused_keys")
        defer { s.reset() }
        while try s.step() { hashes.insert(JournalKeys.hash(partnerId: s.text(0), partnerTxnId: s.text(1))) }
        refusedKeyHashes = hashes
    }
}
