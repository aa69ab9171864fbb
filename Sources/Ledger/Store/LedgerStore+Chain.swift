import Crypto
import Programme
import SQLite

/// The chained digest (docs/design.md, "Digests"): every entry folds what it changed into
/// the open cycle's running hash (`ChainHasher`), kept in the shard row and written with
/// the batch; a seal hashes the previous sealed digest, that running hash and the seal's
/// own rows, so sealing costs O(cycle), not O(history).
extension LedgerStore {
    /// Folds a change to the ledger that is not a rule's `Effects` (e.g. an archive step at
    /// a barrier that moves rows out to a file) into the open cycle's digest: `tag` names
    /// what it is, `bytes` describe it (e.g. the archive's SHA-256 and row counts). Must be
    /// called inside a batch (`apply`), at the same entry on every replay of the log.
    func absorbIntoOpenDigest(_ tag: String, _ bytes: [UInt8]) {
        precondition(batch != nil, "absorbIntoOpenDigest outside apply")
        chain.piece(tag, bytes)
    }

    /// The stored running hash of the open cycle, at the start of a batch.
    func restartChain() throws(LedgerError) {
        let s = try db.prepare("SELECT open_hash FROM shard WHERE id = 1")
        defer { s.reset() }
        guard try s.step() else { throw LedgerError(.schema, "shard record missing in \(db.path)") }
        chain.restart(fromHex: s.text(0))
    }

    // MARK: What entries fold in

    /// A rule's effects for the entry at `offset` (a transaction, or a barrier's breakage
    /// of one lot), in the order the store writes them. Cache hints (`forgetLots`, the
    /// member's expiry floor) are left out: they are not ledger content.
    func absorb(_ effects: Effects, memberId: String, partnerId: String, offset: Int64) {
        chain.piece(UInt8(ascii: "E"), offset: offset)
        chain.text(memberId)
        chain.text(partnerId)
        chain.list(effects.restored) { $0.portion($1) }
        chain.list(effects.lotUpdates) { $0.integers($1.lotId, $1.pointsLeft) }
        if let lot = effects.newLot {
            chain.integer(lot.lotId)
            chain.text(lot.issuer)
            chain.integer(lot.pointsLeft)
            chain.integer(lot.expiresAtMilliseconds)
            chain.integer(lot.createdAtMilliseconds)
            // Pending points: only a lot with a return window says when it is released, so
            // the chain of a ledger without pending points stays as it was.
            if lot.availableAtMilliseconds != OpenLot.availableAtOnce {
                chain.piece(UInt8(ascii: "P"), offset: offset)
                chain.integer(lot.availableAtMilliseconds)
            }
        } else {
            chain.optional(Int64?.none)
        }
        // Only when there are any, so that a log without promotions chains as before.
        if !effects.bonusLots.isEmpty {
            chain.text("bonus lots")
            chain.list(effects.bonusLots) { chain, lot in
                chain.integers(lot.lotId, lot.pointsLeft, lot.expiresAtMilliseconds, lot.createdAtMilliseconds, lot.availableAtMilliseconds)
                chain.text(lot.issuer)
            }
        }
        if effects.memberChanged {
            chain.integer(effects.member.balance)
            chain.integer(effects.member.shortfall)
            chain.optional(effects.member.programme.storedText)
        } else {
            chain.optional(Int64?.none)
        }
        chain.list(effects.portions) { $0.portion($1) }
        chain.list(effects.debts) { chain, debt in
            chain.text(debt.payer)
            chain.text(debt.payee)
            chain.integer(debt.amountMinor)
        }
        chain.list(effects.stats) { chain, s in
            chain.text(s.partnerId)
            chain.integers(s.issued, s.redeemed, s.expired, s.clawedBack, s.feesMinor)
            if s.promoted != 0 {
                chain.text("promoted")
                chain.integer(s.promoted)
            }
            // Funding models and fees per redemption (issue 14): only when there are any.
            if s.redemptionFeesMinor != 0 || s.fundedMinor != 0 {
                chain.text("funding")
                chain.integers(s.redemptionFeesMinor, s.fundedMinor)
            }
        }
        switch effects.originalUpdate {
        case nil: chain.optional(Int64?.none)
        case .refunded(let id, let refunded, let clawed, let fee):
            chain.integer(1)
            chain.text(id)
            chain.integers(refunded, clawed, fee)
        case .reversed(let id, let by):
            chain.integer(2)
            chain.text(id)
            chain.integer(by)
        }
        // Only when there is one: the chain of a ledger without cards stays as it was.
        if let card = effects.card {
            chain.piece(UInt8(ascii: "C"), offset: offset)
            chain.text(card.cardId)
            chain.text(card.memberId)
            chain.text(card.state.rawValue)
            chain.integers(card.changedAtMilliseconds, card.changedOffset)
        }
    }

    /// A journal row (an accepted or rejected transaction).
    func absorb(_ row: BatchState.JournalRow) {
        chain.piece(UInt8(ascii: "J"), offset: row.offset)
        chain.text(row.partnerId)
        chain.text(row.partnerTxnId)
        chain.text(row.memberId)
        let record = row.record
        chain.integer(record.kind.rawValue)
        absorb(record.outcome)
        chain.integers(record.amountMinor, record.points, record.feeMinor)
        chain.optional(record.lotId)
        chain.optional(record.originalOffset)
    }

    /// A transaction rejected without a journal row (no idempotency key).
    func absorbRejection(offset: Int64, _ t: Transaction, _ outcome: Outcome) {
        chain.piece(UInt8(ascii: "R"), offset: offset)
        chain.text(t.partnerId)
        chain.text(t.memberId)
        absorb(outcome)
    }

    /// A duplicate of the journaled transaction at `originalOffset`.
    func absorbDuplicate(offset: Int64, _ t: Transaction, originalOffset: Int64) {
        chain.piece(UInt8(ascii: "D"), offset: offset)
        chain.text(t.partnerId)
        chain.text(t.partnerTxnId)
        chain.integer(originalOffset)
    }

    func absorbDeadLetter(offset: Int64, reason: String) {
        chain.piece(UInt8(ascii: "L"), offset: offset)
        chain.text(reason)
    }

    private func absorb(_ outcome: Outcome) {
        chain.text(outcome.status.rawValue)
        chain.optional(outcome.reason?.rawValue)
        chain.text(outcome.detail)
        chain.integer(outcome.pointsDelta)
        chain.integer(outcome.balanceAfter)
    }
}

extension Schema {
    /// The migration that adds the chain's columns and the expiry queue (5).
    static let chainMigration = 5

    /// shard.open_hash and shard.chain_since_offset, when missing. A file that had no
    /// chain starts it at its next offset; a file that has the columns keeps them as they
    /// are (the full digest covers them).
    static func addChainColumns(_ db: SQLiteDatabase) throws(LedgerError) {
        if try !hasColumn(db, "shard", "open_hash") { try db.execute("ALTER TABLE shard ADD COLUMN open_hash TEXT NOT NULL DEFAULT ''") }
        if try !hasColumn(db, "shard", "chain_since_offset") {
            try db.execute(
                """
                ALTER TABLE shard ADD COLUMN chain_since_offset INTEGER NOT NULL DEFAULT 0;
                UPDATE shard SET chain_since_offset = next_offset;
                """)
        }
    }

    private static func hasColumn(_ db: SQLiteDatabase, _ table: String, _ column: String) throws(LedgerError) -> Bool {
        let s = try db.prepare("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?").bind(.text(table), .text(column))
        defer { s.reset() }
        return try s.step() && s.int64(0) > 0
    }
}
