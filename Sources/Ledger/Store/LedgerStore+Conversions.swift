import Programme
import SQLite

/// Conversions at exchange partners (migration 13): each accepted one is a row of the open
/// cycle; the seal moves them to the cycle it seals, and the sealed position lists them in
/// offset order, as stored, so a republished position is the same bytes.
extension LedgerStore {
    /// Records an accepted conversion in the open cycle (inside the batch's transaction:
    /// a rolled-back batch leaves no row).
    func insertConversion(_ c: Conversion) throws(LedgerError) {
        try db.prepare(
            """
            INSERT INTO conversions (offset, cycle, partner_id, partner_txn_id, member_id, external_member_id, points, miles)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).bind(
            .integer(c.offset), .integer(Schema.openCycle), .text(c.partnerId), .text(c.partnerTxnId), .text(c.memberId),
            .text(c.externalMemberId), .integer(c.points), .integer(c.miles)
        ).run()
    }

    /// The seal of `cycle`: the open cycle's conversions become its own.
    func sealConversions(cycle: Int64) throws(LedgerError) {
        try db.prepare("UPDATE conversions SET cycle = ? WHERE cycle = ?").bind(.integer(cycle), .integer(Schema.openCycle)).run()
    }

    /// Folds a conversion into the open cycle's digest (only when there is one, so a ledger
    /// without exchange partners chains as before).
    func absorbConversion(_ c: Conversion) {
        chain.piece(UInt8(ascii: "X"), offset: c.offset)
        chain.text(c.partnerId)
        chain.text(c.partnerTxnId)
        chain.text(c.memberId)
        chain.text(c.externalMemberId)
        chain.integers(c.points, c.miles)
    }
}
