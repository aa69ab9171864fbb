import SQLite

/// How the migrations of `Schema.migrations` run: the steps some of them take after their
/// SQL (columns added only when missing, so a file a test rewound to an older version
/// migrates again), and `migrate`, which puts them together.
extension Schema {
    /// The migration that adds journal.event_time and the archives (6).
    static let boundedHotStateMigration = 6

    private static func addEventTime(_ db: SQLiteDatabase) throws(LedgerError) {
        try addColumn(db, table: "journal", column: "event_time", definition: "INTEGER")
    }

    /// The migration that adds members.programme_state (8).
    static let programmeRulesMigration = 8

    private static func addProgrammeState(_ db: SQLiteDatabase) throws(LedgerError) {
        try addColumn(db, table: "members", column: "programme_state", definition: "TEXT")
    }

    /// The migration that adds lots.available_at (9).
    static let pendingPointsMigration = 9

    private static func addAvailableAt(_ db: SQLiteDatabase) throws(LedgerError) {
        try addColumn(db, table: "lots", column: "available_at", definition: "INTEGER")
    }

    /// The migration that adds partner_stats.promoted (11).
    static let promotionsMigration = 11

    private static func addPromoted(_ db: SQLiteDatabase) throws(LedgerError) {
        try addColumn(db, table: "partner_stats", column: "promoted", definition: "INTEGER NOT NULL DEFAULT 0")
    }

    /// The migration of the money rules (12): journal.debts and three partner_stats columns.
    static let moneyRulesMigration = 12

    private static func addMoneyRuleColumns(_ db: SQLiteDatabase) throws(LedgerError) {
        try addColumn(db, table: "journal", column: "debts", definition: "TEXT")
        for column in ["outstanding", "redemption_fees_minor", "funded_minor"] {
            try addColumn(db, table: "partner_stats", column: column, definition: "INTEGER NOT NULL DEFAULT 0")
        }
        // What `stashJournalDebts` kept of a rewound file goes back.
        let stash = try db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'journal_debts_stash'")
        let stashed = try stash.step() && stash.int64(0) > 0
        stash.reset()
        if stashed {
            try db.execute(
                """
                UPDATE journal SET debts = (SELECT s.debts FROM journal_debts_stash s WHERE s.offset = journal.offset)
                    WHERE offset IN (SELECT offset FROM journal_debts_stash);
                DROP TABLE journal_debts_stash;
                """)
        }
    }

    /// The migration that replaces spent_lots_by_lot with lots.spent_first_offset (20).
    static let spentFirstOffsetMigration = 20

    /// Adds lots.spent_first_offset (unless a file rewound by a test kept it), sets it to
    /// the key of each queued lot's newest row (one pass over the queue: ~4 s for a queue
    /// of 950,000 rows), and drops the index.
    private static func addSpentFirstOffset(_ db: SQLiteDatabase) throws(LedgerError) {
        try addColumn(db, table: "lots", column: "spent_first_offset", definition: "INTEGER")
        try db.execute(
            """
            UPDATE lots SET spent_first_offset = newest.first_offset
                FROM (SELECT lot_id, MAX(first_offset) AS first_offset FROM spent_lots GROUP BY lot_id) AS newest
                WHERE lots.lot_id = newest.lot_id;
            DROP INDEX IF EXISTS spent_lots_by_lot;
            """)
    }

    /// The migration that adds archives.summary_rows (21).
    static let cycleSummariesMigration = 21

    private static func addSummaryRows(_ db: SQLiteDatabase) throws(LedgerError) {
        try addColumn(db, table: "archives", column: "summary_rows", definition: "INTEGER NOT NULL DEFAULT -1")
    }

    /// The migration that stores the journal by offset (7).
    static let journalByOffsetMigration = 7

    /// Migration 7 rebuilds the journal with the columns of its time: a file rewound to an
    /// older version by a test (which keeps its newer columns) would lose journal.debts, so
    /// they are kept aside before and put back by `addMoneyRuleColumns`.
    private static func stashJournalDebts(_ db: SQLiteDatabase) throws(LedgerError) {
        guard try hasColumn(db, table: "journal", column: "debts") else { return }
        try db.execute(
            """
            DROP TABLE IF EXISTS journal_debts_stash;
            CREATE TABLE journal_debts_stash AS SELECT offset, debts FROM journal WHERE debts IS NOT NULL;
            """)
    }

    /// Adds a column unless the table has it (a file rewound to an older version by a test
    /// keeps its columns).
    static func addColumn(_ db: SQLiteDatabase, table: String, column: String, definition: String) throws(LedgerError) {
        if try !hasColumn(db, table: table, column: column) { try db.execute("ALTER TABLE \(table) ADD COLUMN \(column) \(definition)") }
    }

    /// Whether `table` has `column`.
    static func hasColumn(_ db: SQLiteDatabase, table: String, column: String) throws(LedgerError) -> Bool {
        let s = try db.prepare("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?")
        defer { s.reset() }
        s.bindText(1, table)
        s.bindText(2, column)
        return try s.step() && s.int64(0) > 0
    }

    /// Brings the file to the newest schema (`Database.migrate`: each migration in its own
    /// transaction, the version read under the write lock). The first also writes the
    /// shard record of `partition`.
    static func migrate(_ db: SQLiteDatabase, partition: Int32) throws(LedgerError) {
        var steps = migrations.map { Migration<LedgerError>($0) }
        steps[0].then = { db throws(LedgerError) in
            try db.prepare("INSERT INTO shard VALUES (1, ?, 0, -1, 0, 0, 0, 0, 0)").bind(.integer(Int64(partition))).run()
        }
        steps[chainMigration - 1].then = addChainColumns
        steps[boundedHotStateMigration - 1].then = addEventTime
        // Migration 7 runs after `stashJournalDebts` (same transaction).
        let journalByOffset = steps[journalByOffsetMigration - 1].sql
        steps[journalByOffsetMigration - 1] = Migration("SELECT 1;") { db throws(LedgerError) in
            try stashJournalDebts(db)
            try db.execute(journalByOffset)
        }
        steps[programmeRulesMigration - 1].then = addProgrammeState
        steps[promotionsMigration - 1].then = addPromoted
        steps[pendingPointsMigration - 1].then = addAvailableAt
        steps[moneyRulesMigration - 1].then = addMoneyRuleColumns
        steps[spentFirstOffsetMigration - 1].then = addSpentFirstOffset
        steps[cycleSummariesMigration - 1].then = addSummaryRows
        try db.migrate(steps)
    }
}
