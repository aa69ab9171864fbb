/// Migrations 16 on (issue 11, docs/big-shards.md): how a shard with years of history
/// stores its spent-lot queue, its archived rows and its cycle summaries, each measured.
/// They follow `Schema.migrations`' first fifteen, in order.
extension Schema {
    static let bigShardMigrations: [String] = [
        // 16: spent_lots by lot (issue 11): a lot a redemption empties again loses its
        // older queue rows (LedgerStore+Lots, `flushSpentLots`), which every archive step
        // read again while they waited. Not ledger content (not digested); older files keep
        // their waiting rows until they clear as before.
        "CREATE INDEX IF NOT EXISTS spent_lots_by_lot ON spent_lots (lot_id);",
        // 17: spent_lots keyed by the first offset of the cycle that emptied the lot
        // (issue 11): known when the row is written, so the seal no longer moves the open
        // cycle's rows to its number (a day's 5,000 rows and their index entries rewritten
        // inside the barrier). A cycle's rows are those between its first offset and its
        // barrier, so "key <= barrier offset" selects the same rows as "cycle <= that
        // cycle". Rows of the open cycle take its first offset; rows of a cycle not in
        // `cycles` (migration 7 wrote 0 when none was sealed) take 0, as before they were
        // below every cycle.
        """
        CREATE TABLE spent_lots_v17 (
            first_offset INTEGER NOT NULL,
            lot_id INTEGER NOT NULL,
            PRIMARY KEY (first_offset, lot_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO spent_lots_v17 (first_offset, lot_id)
            SELECT CASE WHEN s.cycle < 0 THEN (SELECT open_first_offset FROM shard WHERE id = 1)
                ELSE COALESCE((SELECT c.first_offset FROM cycles c WHERE c.cycle = s.cycle), 0) END, s.lot_id
            FROM spent_lots s;
        DROP TABLE spent_lots;
        ALTER TABLE spent_lots_v17 RENAME TO spent_lots;
        CREATE INDEX spent_lots_by_lot ON spent_lots (lot_id);
        """,
        // 18: portions_by_lot dropped (issue 11). Only the archive step read it (is a lot at
        // 0 still referenced by a hot portion?); the spent-lot queue answers that (a lot
        // spent after the archived range was emptied after it: a later queue row), and the
        // index cost a random write for every portion a redemption made and deleted
        // again at its archive, inside the barrier.
        "DROP INDEX IF EXISTS portions_by_lot;",
        // 19: archived rows deleted after their barrier (issue 11). A barrier writes its
        // archive file and its `archives` row but leaves the rows in the hot tables; they
        // go before the first entry after that barrier is applied
        // (`LedgerStore+ArchivedRows`), so the barrier's COMMIT no longer writes the pages
        // of ~5,000 lots deleted at random. This table names the archive whose rows are
        // still hot (at most one) and the offset of the barrier that wrote it. Not ledger
        // content (not digested); a snapshot carries it, and the rows go after a restore.
        """
        CREATE TABLE IF NOT EXISTS archived_rows_left (
            cycle INTEGER PRIMARY KEY,
            barrier_offset INTEGER NOT NULL
        );
        """,
        // 20: spent_lots_by_lot dropped (issue 11). lots.spent_first_offset holds the key of
        // the lot's newest queue row (the first offset of the cycle that last emptied it),
        // set by the flush that queues the row: on the lot the batch emptied, a page it writes anyway.
        // What the archive step asked the index (has the lot a queue row after the range, or
        // one in it?) is a comparison with that column, and a redemption emptying a lot
        // again deletes its older row by its key. The index took a write at a random place
        // for every lot emptied (3,216 of a late day's 18,900 WAL frames in `bench history`)
        // and another at its archive. Not ledger content (left out of the digest). The
        // column, its values (one pass over the queue) and the DROP are `addSpentFirstOffset`'s.
        "SELECT 1;",
        // 21: cycle summaries archived (issue 11): archives.summary_rows, the rows of debts,
        // partner_stats, conversions and cycle_programme_versions the file took (-1: it took
        // none, the programme did not set `archive_cycle_summaries`; the default of every
        // archive written before), added by `addSummaryRows`. The two tables sum what left:
        // the totals of every archived cycle's partner_stats and debts, added to when their
        // rows are deleted, so the shard's totals read them instead of every archive file.
        // Derived from digested rows, like an index: not digested; `ledger verify` sums
        // the files again and compares.
        """
        CREATE TABLE IF NOT EXISTS archived_partner_totals (
            partner_id TEXT PRIMARY KEY,
            issued INTEGER NOT NULL,
            redeemed INTEGER NOT NULL,
            expired INTEGER NOT NULL,
            clawed_back INTEGER NOT NULL,
            fees_minor INTEGER NOT NULL,
            promoted INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS archived_debt_totals (
            payer TEXT NOT NULL,
            payee TEXT NOT NULL,
            amount_minor INTEGER NOT NULL,
            PRIMARY KEY (payer, payee)
        ) WITHOUT ROWID;
        """,
        // 22: cycle_times (2026-12-04): the latest event or partner time of each hot cycle's
        // journaled rows (the open cycle as -1 until its seal; `LedgerRules.archiveTime`).
        // A cycle is archived only once the later of its close time and this is past the
        // archive age (LedgerRules+Horizon): a row dated after its cycle's close left too
        // early before. Rows of archived cycles go with their archive. Derived from the
        // log like an index: not digested (what it decides is in the archives). Filled here
        // from the hot journal's event times: the partner time of a row stamped by a gateway
        // was not stored before, so older rows count with their event time.
        """
        CREATE TABLE IF NOT EXISTS cycle_times (
            cycle INTEGER PRIMARY KEY,
            latest_time INTEGER NOT NULL
        );
        INSERT OR REPLACE INTO cycle_times (cycle, latest_time)
            SELECT cycle, latest FROM (
                SELECT c.cycle AS cycle,
                    (SELECT MAX(j.event_time) FROM journal j WHERE j.offset BETWEEN c.first_offset AND c.barrier_offset) AS latest
                FROM cycles c WHERE c.barrier_offset > COALESCE((SELECT MAX(last_offset) FROM archives), -1)
            ) WHERE latest IS NOT NULL;
        INSERT OR REPLACE INTO cycle_times (cycle, latest_time)
            SELECT -1, MAX(event_time) FROM journal WHERE offset >= (SELECT open_first_offset FROM shard WHERE id = 1)
            HAVING MAX(event_time) IS NOT NULL;
        """,
        // 23: archive_limits (2026-12-04): the shortest idempotency horizon and reversal
        // window the shard has archived under. A version may not lengthen them
        // (`Shard.horizonChangeProblem`), but the worker's programme file prices a log
        // with no version in it, and nothing compared a new file with what was already
        // archived: a longer horizon would take a retry of an archived transaction as new.
        // A batch is refused while the programme in force is longer (`Shard.begin`). Not
        // ledger content (not digested); a file that archived before this migration gets
        // its row at its next archive.
        """
        CREATE TABLE IF NOT EXISTS archive_limits (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            horizon_days INTEGER NOT NULL,
            reversal_days INTEGER NOT NULL
        );
        """,
        // 24: refused_keys (2026-12-04): the keys of transactions refused for being dated
        // too far ahead, with their answer and time (`LedgerRules.archiveTime`), kept until
        // a retry of them is past the horizon (`LedgerStore+RefusedKeys`). Such a row holds
        // no cycle, so its journal row could leave while a retry of the key, dated within
        // reach by then, would be taken as new.
        // Derived from the log like `cycle_times`: not digested (the answers it gives are).
        // Keys refused before this migration are not in it.
        """
        CREATE TABLE IF NOT EXISTS refused_keys (
            partner_id TEXT NOT NULL,
            partner_txn_id TEXT NOT NULL,
            offset INTEGER NOT NULL,
            time INTEGER NOT NULL,
            detail TEXT NOT NULL,
            balance_after INTEGER NOT NULL,
            PRIMARY KEY (partner_id, partner_txn_id)
        ) WITHOUT ROWID;
        """,
    ]
}
