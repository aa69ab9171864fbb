import Foundation
import Programme
import SQLite
import Testing

@testable import Ledger

/// `begin` / `commit` / `rollback` (the worker keeps several shards' transactions open
/// across one publish) and the caches they guard.
@Suite(.timeLimit(.minutes(10)))
struct StagedApplyTests {
    static let entries = Workload.entries(seed: 7, count: 2000)

    @Test func rollbackAfterBeginLeavesFileAndCachesAsBefore() throws {
        let straight = try Harness()
        try straight.shard.apply(Self.entries, batchSize: 200)

        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<600]), batchSize: 200)
        let digest = try h.shard.digest()
        let batch = LedgerBatch(entries: Array(Self.entries[600..<1100]), nextOffset: 1100)
        let pending = try h.shard.begin(batch)
        #expect(!pending.outputs.isEmpty)
        h.shard.rollback(pending)
        h.shard.rollback(pending)  // idempotent
        #expect(try h.shard.digest() == digest)
        #expect(try h.shard.nextOffset() == 600)
        // Had the rolled-back batch leaked into the member cache, balances (and the digest)
        // of the rest would differ from the straight run.
        let retried = try h.shard.begin(batch)
        #expect(retried.outputs == pending.outputs)
        try h.shard.commit(retried)
        try h.shard.apply(Array(Self.entries[1100...]), batchSize: 200)
        #expect(try h.shard.digest() == straight.shard.digest())
        #expect(try h.shard.totals() == straight.shard.totals())
    }

    @Test func throwInTheMiddleOfABatchKeepsNoCachedState() throws {
        let straight = try Harness()
        try straight.shard.apply(Self.entries, batchSize: 300)

        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<300]), batchSize: 300)
        // Many entries apply, then an out-of-order entry throws: everything rolls back.
        var bad = Array(Self.entries[300..<900])
        bad.append(Self.entries[500])
        #expect(throws: LedgerError.self) {
            try h.shard.apply(LedgerBatch(entries: bad, nextOffset: 900)) { _ in }
        }
        #expect(throws: LedgerError.self) {
            _ = try h.shard.begin(LedgerBatch(entries: bad, nextOffset: 900))
        }
        #expect(try h.shard.nextOffset() == 300)
        try h.shard.apply(Array(Self.entries[300...]), batchSize: 300)
        #expect(try h.shard.digest() == straight.shard.digest())
        try h.reopen()
        #expect(try h.shard.digest() == straight.shard.digest())
    }

    @Test func severalShardsOpenAtOnceCommitIndependently() throws {
        let straight = try Harness()
        try straight.shard.apply(Self.entries, batchSize: 500)

        let a = try Harness()
        let b = try Harness()
        for start in stride(from: 0, to: Self.entries.count, by: 500) {
            let slice = Array(Self.entries[start..<min(start + 500, Self.entries.count)])
            let batch = LedgerBatch(entries: slice, nextOffset: slice.last!.offset + 1)
            let pa = try a.shard.begin(batch)
            let pb = try b.shard.begin(batch)
            #expect(pa.outputs == pb.outputs)
            try a.shard.commit(pa)
            // b's attempt fails every other time (as if publishing failed) and is retried.
            if start % 1000 == 0 {
                b.shard.rollback(pb)
                try b.shard.commit(try b.shard.begin(batch))
            } else {
                try b.shard.commit(pb)
            }
        }
        #expect(try a.shard.digest() == straight.shard.digest())
        #expect(try b.shard.digest() == straight.shard.digest())
    }

    /// Applies the first 800 entries, turns the file back into an older one with `sql`,
    /// reopens it (migrating it to the newest schema) and checks that its digest is the
    /// same; `check` looks at the migrated file; then the rest of the entries are applied
    /// and the file must equal one that applied everything straight.
    func migrates(from sql: String, _ check: (SQLiteDatabase) throws -> Void) throws {
        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<800]), batchSize: 100)
        let digest = try h.shard.digest()
        h.shard.close()
        let db = try SQLiteDatabase(path: h.path)
        try db.execute(sql)
        db.close()
        try h.reopen()
        #expect(try h.shard.digest() == digest)
        let migrated = try SQLiteDatabase(path: h.path)
        defer { migrated.close() }
        #expect(try migrated.userVersion == Int64(Schema.migrations.count))  // the newest
        try check(migrated)
        // Duplicates and reversals of rows written before the migration are still found.
        try h.shard.apply(Array(Self.entries[800...]), batchSize: 100)
        let straight = try Harness()
        try straight.shard.apply(Self.entries, batchSize: 100)
        #expect(try h.shard.digest() == straight.shard.digest())
    }

    @Test func fileAtSchemaVersionOneOpensAndKeepsItsDigest() throws {
        // A version-1 file: the index migration 2 drops, without the column migration 4 adds,
        // nor the spent-lot queue migration 7 creates (17 changed its key).
        try migrates(
            from:
                "CREATE INDEX lots_by_expiry ON lots (expires_at) WHERE points_left > 0; ALTER TABLE members DROP COLUMN expiry_floor; DROP TABLE spent_lots; PRAGMA user_version = 1"
        ) { db in
            let index = try db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'lots_by_expiry'")
            defer { index.reset() }
            #expect(try index.step())
            #expect(index.int64(0) == 0)
        }
    }

    @Test func fileAtSchemaVersionSixGetsItsJournalByOffsetAndKeepsItsDigest() throws {
        // A version-6 file: the journal keyed by the idempotency key with an index on
        // offset, no spent-lot queue, lots indexed by member.
        try migrates(
            from: """
                CREATE TABLE journal_v6 (partner_id TEXT NOT NULL, partner_txn_id TEXT NOT NULL, offset INTEGER NOT NULL,
                member_id TEXT NOT NULL, kind INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, detail TEXT NOT NULL,
                points_delta INTEGER NOT NULL, balance_after INTEGER NOT NULL, amount_minor INTEGER NOT NULL, points INTEGER NOT NULL,
                fee_minor INTEGER NOT NULL, lot_id INTEGER, original_offset INTEGER, refunded_minor INTEGER NOT NULL,
                clawed_points INTEGER NOT NULL, refunded_fee_minor INTEGER NOT NULL, reversed_by INTEGER, event_time INTEGER,
                debts TEXT, PRIMARY KEY (partner_id, partner_txn_id)) WITHOUT ROWID;
                INSERT INTO journal_v6 SELECT * FROM journal;
                DROP TABLE journal;
                ALTER TABLE journal_v6 RENAME TO journal;
                CREATE INDEX journal_by_offset ON journal (offset);
                DROP TABLE spent_lots;
                DROP INDEX lots_open_by_member;
                CREATE INDEX lots_by_member_id ON lots (member_id);
                PRAGMA user_version = 6;
                """
        ) { db in
            let table = try db.prepare("SELECT sql FROM sqlite_master WHERE name = 'journal'")
            defer { table.reset() }
            #expect(try table.step())
            #expect(table.text(0).contains("offset INTEGER PRIMARY KEY") && !table.text(0).contains("WITHOUT ROWID"))
        }
    }
}
