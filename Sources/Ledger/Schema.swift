import SQLite

/// The shard file's schema, as numbered migrations recorded in `PRAGMA user_version`.
/// Append new migrations; never edit one that has shipped.
enum Schema {
    /// The label of the cycle being accumulated. Barriers name cycles ≥ 0, so it never
    /// collides with a sealed one.
    static let openCycle: Int64 = -1

    /// Every migration, in order: 1–15 below, 16 on the storage of big shards
    /// (`Schema+BigShards.swift`, where new ones are appended).
    static let migrations = ledgerMigrations + bigShardMigrations

    /// Migrations 1–15: the ledger's tables and what the programme rules added.
    static let ledgerMigrations: [String] = [
        // 1: the whole ledger.
        """
        CREATE TABLE shard (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            partition INTEGER NOT NULL,
            next_offset INTEGER NOT NULL,
            last_sealed_cycle INTEGER NOT NULL,
            open_first_offset INTEGER NOT NULL,
            open_accepted INTEGER NOT NULL,
            open_rejected INTEGER NOT NULL,
            open_duplicates INTEGER NOT NULL,
            open_dead_letters INTEGER NOT NULL
        );
        CREATE TABLE members (
            member_id TEXT PRIMARY KEY,
            balance INTEGER NOT NULL,
            shortfall INTEGER NOT NULL CHECK (shortfall >= 0)
        ) WITHOUT ROWID;
        -- lot_id is the offset of the accrual that created the lot: deterministic on replay.
        CREATE TABLE lots (
            lot_id INTEGER PRIMARY KEY,
            member_id TEXT NOT NULL,
            issuer TEXT NOT NULL,
            points_initial INTEGER NOT NULL,
            points_left INTEGER NOT NULL CHECK (points_left >= 0),
            expires_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        -- Only lots with points left are ever searched: partial indexes stay small.
        CREATE INDEX lots_by_member ON lots (member_id, expires_at, created_at, lot_id) WHERE points_left > 0;
        CREATE INDEX lots_by_expiry ON lots (expires_at) WHERE points_left > 0;
        -- One row per transaction that was applied or rejected (not duplicates). Keyed by the
        -- idempotency key itself: one B-tree serves both the duplicate check and the insert.
        CREATE TABLE journal (
            partner_id TEXT NOT NULL,
            partner_txn_id TEXT NOT NULL,
            offset INTEGER NOT NULL,
            member_id TEXT NOT NULL,
            kind INTEGER NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            detail TEXT NOT NULL,
            points_delta INTEGER NOT NULL,
            balance_after INTEGER NOT NULL,
            amount_minor INTEGER NOT NULL,
            points INTEGER NOT NULL,
            fee_minor INTEGER NOT NULL,
            lot_id INTEGER,
            original_offset INTEGER,
            refunded_minor INTEGER NOT NULL,
            clawed_points INTEGER NOT NULL,
            refunded_fee_minor INTEGER NOT NULL,
            reversed_by INTEGER,
            PRIMARY KEY (partner_id, partner_txn_id)
        ) WITHOUT ROWID;
        -- What each redemption took from each lot, so a cancel restores exactly that.
        CREATE TABLE portions (
            redemption_offset INTEGER NOT NULL,
            lot_id INTEGER NOT NULL,
            points INTEGER NOT NULL,
            PRIMARY KEY (redemption_offset, lot_id)
        ) WITHOUT ROWID;
        CREATE TABLE debts (
            cycle INTEGER NOT NULL,
            payer TEXT NOT NULL,
            payee TEXT NOT NULL,
            amount_minor INTEGER NOT NULL,
            PRIMARY KEY (cycle, payer, payee)
        ) WITHOUT ROWID;
        CREATE TABLE partner_stats (
            cycle INTEGER NOT NULL,
            partner_id TEXT NOT NULL,
            issued INTEGER NOT NULL,
            redeemed INTEGER NOT NULL,
            expired INTEGER NOT NULL,
            clawed_back INTEGER NOT NULL,
            fees_minor INTEGER NOT NULL,
            PRIMARY KEY (cycle, partner_id)
        ) WITHOUT ROWID;
        CREATE TABLE cycles (
            cycle INTEGER PRIMARY KEY,
            first_offset INTEGER NOT NULL,
            barrier_offset INTEGER NOT NULL,
            closed_at INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            duplicates INTEGER NOT NULL,
            dead_letters INTEGER NOT NULL,
            ledger_digest TEXT NOT NULL
        );
        CREATE TABLE dead_letters (
            offset INTEGER PRIMARY KEY,
            reason TEXT NOT NULL
        );
        """,
        // 2: lots_by_expiry was maintained on every lot insert and every lot emptied, but
        // only read by the barrier's sweep (once per cycle), which now scans the lots
        // table in lot_id order instead. Indexes are not part of the digest.
        """
        DROP INDEX IF EXISTS lots_by_expiry;
        """,
        // 3: lots_by_member was partial (points_left > 0), so every change of points_left
        // (each lot a redemption takes from) deleted and re-inserted its index entry. The
        // member's open lots are cached in memory now and read from the table only on a
        // cache miss: a plain index on member_id (the rowid is lot_id) serves that read,
        // and points_left updates no longer touch any index.
        """
        DROP INDEX IF EXISTS lots_by_member;
        CREATE INDEX IF NOT EXISTS lots_by_member_id ON lots (member_id);
        """,
        // 4: every reported balance is the spendable one at its event time (expired lots
        // excluded). expiry_floor is a lower bound on the expiry of the member's open lots,
        // so that only a member with something possibly due has its lots read. Set exactly
        // here; a hint only, left out of the digest.
        """
        ALTER TABLE members ADD COLUMN expiry_floor INTEGER NOT NULL DEFAULT 9223372036854775807;
        UPDATE members SET expiry_floor = COALESCE(
            (SELECT MIN(expires_at) FROM lots WHERE lots.member_id = members.member_id AND points_left > 0),
            9223372036854775807);
        """,
        // 5: chained digests (issue 11). open_hash is the open cycle's running hash (hex
        // SHA-256; '' at a cycle's start), folded entry by entry and written in the batch's
        // transaction; a seal chains it to the previous sealed digest (LedgerStore+Chain).
        // chain_since_offset is the first offset the chain covers: a file from before this
        // migration starts its chain here, from its last sealed cycle's stored digest.
        // Both are added by `addChainColumns` (only when missing: a file rewound to an
        // older version by a test keeps them). expiry_queue holds (expires_at, lot_id) of
        // every lot that may have points left at its expiry: the barrier's sweep reads
        // only what is due (and deletes it), not every open lot. A hint like an index:
        // left out of the digest.
        """
        CREATE TABLE IF NOT EXISTS expiry_queue (
            expires_at INTEGER NOT NULL,
            lot_id INTEGER NOT NULL,
            PRIMARY KEY (expires_at, lot_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO expiry_queue (expires_at, lot_id)
            SELECT expires_at, lot_id FROM lots WHERE points_left > 0 AND expires_at < 9223372036854775807;
        """,
        // 6: bounded hot state (issue 11). journal.event_time is what a reversal window counts
        // from (NULL for older rows: unknown, never refused). Archiving selects by offset, so
        // the journal gets an index on it (append-only: cheap to keep), and portions one on
        // lot_id (whether a lot is still referenced). `archives` records each archive file
        // a barrier wrote: the offsets it covers, the SHA-256 of its content (folded into
        // the cycle's digest) and of its bytes, its row counts, and where the slow sweep of
        // spent lots stands. Indexes and `archives` are not digested table by table. The
        // column is added by `addEventTime` (only when missing: a file rewound to an older
        // version by a test keeps it).
        """
        CREATE INDEX IF NOT EXISTS journal_by_offset ON journal (offset);
        CREATE INDEX IF NOT EXISTS portions_by_lot ON portions (lot_id);
        CREATE TABLE IF NOT EXISTS archives (
            cycle INTEGER PRIMARY KEY,
            file TEXT NOT NULL,
            first_offset INTEGER NOT NULL,
            last_offset INTEGER NOT NULL,
            lot_cursor INTEGER NOT NULL,
            content_sha256 TEXT NOT NULL,
            file_sha256 TEXT NOT NULL,
            journal_rows INTEGER NOT NULL,
            portion_rows INTEGER NOT NULL,
            lot_rows INTEGER NOT NULL,
            dead_letter_rows INTEGER NOT NULL
        );
        """,
        // 7: history that costs the same every day (issue 11). The journal was keyed by the
        // idempotency key, so every transaction inserted a wide row at a random place of a
        // B-tree that grows with the hot history, and every archive deleted rows all over
        // it: most of the WAL written was those pages. It is stored by offset now (appends,
        // and one contiguous range per archive); the keys live in memory
        // (`JournalKeys`, rebuilt from the journal at open). spent_lots holds (cycle, lot_id)
        // for every lot a cycle left at 0 points (the open cycle as -1 until its seal), so
        // an archive step reads the lots its cycles spent instead of sweeping the lots
        // table; lots already spent are queued under the last sealed cycle. Not digested
        // table by table: a hint like an index (what it decides is in the archives).
        // lots_open_by_member replaces lots_by_member_id (3): every read of a member's lots
        // wants the open ones only, and the seal's invariant check then reads them from the
        // index alone instead of every lot the member ever had in the hot table. A change
        // of points_left rewrites the lot's entry (it is in the index's WHERE), a cost
        // measured in docs/performance.md. (A file before 7 has no spent_lots; the DROP is for
        // files tests turn back into an older version, whose queue has 17's key.)
        """
        DROP TABLE IF EXISTS journal_by_offset_v7;
        CREATE TABLE journal_by_offset_v7 (
            partner_id TEXT NOT NULL,
            partner_txn_id TEXT NOT NULL,
            offset INTEGER PRIMARY KEY,
            member_id TEXT NOT NULL,
            kind INTEGER NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            detail TEXT NOT NULL,
            points_delta INTEGER NOT NULL,
            balance_after INTEGER NOT NULL,
            amount_minor INTEGER NOT NULL,
            points INTEGER NOT NULL,
            fee_minor INTEGER NOT NULL,
            lot_id INTEGER,
            original_offset INTEGER,
            refunded_minor INTEGER NOT NULL,
            clawed_points INTEGER NOT NULL,
            refunded_fee_minor INTEGER NOT NULL,
            reversed_by INTEGER,
            event_time INTEGER
        );
        INSERT INTO journal_by_offset_v7
            SELECT partner_id, partner_txn_id, offset, member_id, kind, status, reason, detail, points_delta, balance_after,
            amount_minor, points, fee_minor, lot_id, original_offset, refunded_minor, clawed_points, refunded_fee_minor,
            reversed_by, event_time FROM journal ORDER BY offset;
        DROP TABLE journal;
        ALTER TABLE journal_by_offset_v7 RENAME TO journal;
        DROP TABLE IF EXISTS spent_lots;
        CREATE TABLE IF NOT EXISTS spent_lots (
            cycle INTEGER NOT NULL,
            lot_id INTEGER NOT NULL,
            PRIMARY KEY (cycle, lot_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO spent_lots (cycle, lot_id)
            SELECT (SELECT MAX(last_sealed_cycle, 0) FROM shard WHERE id = 1), lot_id FROM lots WHERE points_left = 0;
        DROP INDEX IF EXISTS lots_by_member_id;
        CREATE INDEX IF NOT EXISTS lots_open_by_member ON lots (member_id, expires_at, points_left) WHERE points_left > 0;
        """,
        // 8: programme rules (issue 13). A member's status, activity and promotion counters
        // (`MemberProgramme`) as one canonical JSON text, NULL while empty: the column is
        // added by `addProgrammeState` (only when missing, like 6's).
        "SELECT 1;",
        // 9: pending points (issue 13): lots.available_at, the event time from which a lot's
        // points are spendable (NULL: at once), added by `addAvailableAt` (only when missing).
        "SELECT 1;",
        // 10: shared accounts and cards (issue 13): one row per card the shard has seen, with
        // the account it is on (or left) and its state; ledger content, digested. The
        // partial index serves the limit check (the account's active cards).
        """
        CREATE TABLE IF NOT EXISTS cards (
            card_id TEXT PRIMARY KEY,
            member_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('active', 'blocked', 'unlinked')),
            changed_at INTEGER NOT NULL,
            changed_offset INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS cards_active_by_member ON cards (member_id) WHERE state = 'active';
        """,
        // 11: promotions (issue 13): partner_stats.promoted, the bonus points of the
        // promotions a participant funds (also in `issued`), added by `addPromoted` (only
        // when missing). Bonus lots are ordinary lots (issuer: the funder) with negative ids
        // (`LedgerRules.bonusLotId`): no table of their own.
        "SELECT 1;",
        // 12: partner economics, money rules (issue 14). journal.debts: the debts each
        // transaction made ("payer payee amount" lines, NULL when none; `settlement trace`,
        // and what a cancel reverses); partner_stats.outstanding (a level: the issuer's points
        // still open at the seal), redemption_fees_minor and funded_minor; the columns are
        // added by `addMoneyRuleColumns` (only when missing). issuer_outstanding is the
        // running level per issuer (SUM(points_left) of its lots, no row at 0), kept by every
        // flush so a seal reads it instead of scanning the lots. Ledger content, digested.
        """
        CREATE TABLE IF NOT EXISTS issuer_outstanding (
            issuer TEXT PRIMARY KEY,
            points INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO issuer_outstanding (issuer, points)
            SELECT issuer, SUM(points_left) FROM lots WHERE points_left > 0 GROUP BY issuer;
        """,
        // 13: partner economics, exchange partners (issue 14): one row per accepted
        // conversion (a redemption at an exchange partner), labelled with the open cycle
        // (-1) until the seal moves it to the cycle it seals; a sealed position lists its
        // cycle's rows in offset order (the cycle's conversion files). Kept like debts and
        // partner_stats (a stale barrier republishes the stored position). Ledger content,
        // digested. Company accounts need no table: they are members.
        """
        CREATE TABLE IF NOT EXISTS conversions (
            offset INTEGER PRIMARY KEY,
            cycle INTEGER NOT NULL,
            partner_id TEXT NOT NULL,
            partner_txn_id TEXT NOT NULL,
            member_id TEXT NOT NULL,
            external_member_id TEXT NOT NULL,
            points INTEGER NOT NULL,
            miles INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS conversions_by_cycle ON conversions (cycle, offset);
        """,
        // 14: programme versions through the log (issue 14): every version a
        // `ProgrammeVersion` message brought, keyed by the first offset it prices (its
        // message's offset + 1), the file byte for byte; and the versions each sealed cycle
        // used, in order, as its position published them. Ledger content, digested.
        """
        CREATE TABLE IF NOT EXISTS programme_versions (
            from_offset INTEGER PRIMARY KEY,
            version TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            published_at INTEGER NOT NULL,
            json TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS cycle_programme_versions (
            cycle INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            version TEXT NOT NULL,
            PRIMARY KEY (cycle, seq)
        ) WITHOUT ROWID;
        """,
        // 15: partner economics, suspended partners (issue 14): the partners whose accruals
        // are refused (deposit exhausted, refuse mode), as the last sealing barrier listed
        // them, with that barrier's cycle. Ledger content, digested.
        """
        CREATE TABLE IF NOT EXISTS suspended_partners (
            partner_id TEXT PRIMARY KEY,
            cycle INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ]

    /// Tables, the columns that hold the ledger, and their canonical order, for the
    /// digest. members.expiry_floor is left out: a performance hint, not ledger content.
    static let digestTables: [(name: String, columns: String, orderBy: String)] = [
        ("shard", "*", "id"),
        ("members", "member_id, balance, shortfall, programme_state", "member_id"),
        // spent_first_offset (migration 20) is a hint, like members.expiry_floor.
        ("lots", "lot_id, member_id, issuer, points_initial, points_left, expires_at, created_at, available_at", "lot_id"),
        ("journal", "*", "partner_id, partner_txn_id"),
        ("portions", "*", "redemption_offset, lot_id"),
        ("debts", "*", "cycle, payer, payee"),
        ("partner_stats", "*", "cycle, partner_id"),
        ("cycles", "*", "cycle"),
        ("dead_letters", "*", "offset"),
        ("cards", "*", "card_id"),
        ("conversions", "*", "offset"),
        ("issuer_outstanding", "*", "issuer"),
        ("suspended_partners", "*", "partner_id"),
        ("programme_versions", "*", "from_offset"),
        ("cycle_programme_versions", "*", "cycle, seq"),
    ]
}
