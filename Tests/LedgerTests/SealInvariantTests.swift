import Foundation
import Programme
import SQLite
import Testing

@testable import Ledger

/// Every build checks the ledger's invariants when a cycle is sealed: a file damaged
/// behind the rules' back (by another connection: an operator's sqlite3, a bad restore)
/// is refused there, with the member and the numbers, and nothing of the barrier's batch
/// stays. (Each batch's members are also checked when it ends; members checked that way
/// are checked again at the seal only when another connection wrote the file, which is
/// what these damages do.) The shard sees that the file was written elsewhere and reads the members from
/// it instead of from its caches.
@Suite(.timeLimit(.minutes(10)))
struct SealInvariantTests {
    let t0 = Clock.t0

    /// m1 holds one lot of 500 (alpha) and redeemed 100 of it at gamma.
    func ledger() throws -> Harness {
        let h = try Harness()
        try h.tx("alpha", "a1", at: t0, accrual(10_000))
        try h.tx("gamma", "r1", at: t0, .redemption(points: 100))
        return h
    }

    /// Runs `sql` on a connection of its own, as another process would.
    func damage(_ h: Harness, _ sql: [String]) throws {
        let other = try SQLiteDatabase(path: h.path)
        defer { other.close() }
        for statement in sql { try other.execute(statement) }
    }

    func sealRefusal(_ h: Harness) throws -> LedgerError {
        let before = try h.shard.digest()
        let next = try h.shard.nextOffset()
        let error = try #require(throws: LedgerError.self) { try h.run([.barrier(cycle: 1, closedAtMilliseconds: t0 + Clock.day)]) }
        // Nothing sealed, nothing of the batch written.
        #expect(try h.shard.positions().isEmpty)
        #expect(try h.shard.nextOffset() == next)
        #expect(try h.shard.digest() == before)
        return error
    }

    @Test func aSoundLedgerSeals() throws {
        let h = try ledger()
        let outputs = try h.run([.barrier(cycle: 1, closedAtMilliseconds: t0 + Clock.day)])
        #expect(outputs.count == 1)
        #expect(try h.shard.positions().map(\.cycle) == [1])
    }

    /// A damage done behind the rules' back, and what the refusal says.
    struct Damage: Sendable, CustomStringConvertible {
        var description: String
        var sql: [String]
        var message: String
    }

    static let damages = [
        Damage(
            description: "a lot no longer adds up to the balance", sql: ["UPDATE lots SET points_left = points_left + 7 WHERE lot_id = 0"],
            message: "member m1: lots 407 − shortfall 0 ≠ balance 400"),
        Damage(
            description: "a member's balance no longer adds up to its lots", sql: ["UPDATE members SET balance = 399 WHERE member_id = 'm1'"],
            message: "member m1: lots 400 − shortfall 0 ≠ balance 399"),
        Damage(
            description: "a redeemed point without its debt",
            sql: ["UPDATE debts SET amount_minor = amount_minor - 2 WHERE payer = 'alpha' AND payee = 'gamma'"],
            message: "partner gamma is owed 198 for 100 points redeemed at it, worth 200"),
    ]

    @Test(arguments: damages) func aDamagedLedgerIsNotSealed(_ damage: Damage) throws {
        let h = try ledger()
        try self.damage(h, damage.sql)
        let error = try sealRefusal(h)
        #expect(error.code == .invariant)
        #expect(error.message.contains(damage.message), "\(error)")
    }

    @Test func theCheckCoversMembersWrittenInEarlierBatchesOfTheCycle() throws {
        let h = try ledger()
        try h.tx("beta", "b1", "m2", at: t0, accrual(4000))
        // m1 was written two batches before the barrier; its batch is long committed.
        try damage(h, ["UPDATE members SET balance = balance + 1 WHERE member_id = 'm1'"])
        let error = try sealRefusal(h)
        #expect(error.message.contains("member m1"), "\(error)")
    }

    /// No lot can go below zero: the table refuses it (which is why the seal reads only
    /// the open lots).
    @Test func theLotsTableRefusesALotBelowZero() throws {
        let h = try ledger()
        #expect(throws: (any Error).self) { try damage(h, ["UPDATE lots SET points_left = -3 WHERE lot_id = 0"]) }
        #expect(throws: (any Error).self) {
            try damage(h, ["INSERT INTO lots VALUES (99, 'm1', 'beta', 10, -3, \(Clock.at(2027, 6, 1)), \(Clock.t0))"])
        }
    }

    /// A seal whose batch rolls back (its position could not be published) never
    /// happened: the members it checked are checked again when the barrier comes back.
    @Test func aRolledBackSealLeavesItsMembersToTheNextSeal() throws {
        let h = try ledger()
        let barrier = LedgerEntry(offset: h.offset, kind: .barrier(cycle: 1, closedAtMilliseconds: t0 + Clock.day))
        let pending = try h.shard.begin(LedgerBatch(entries: [barrier], nextOffset: h.offset + 1))
        #expect(pending.outputs.count == 1)
        h.shard.rollback(pending)
        try damage(h, ["UPDATE members SET balance = balance + 1 WHERE member_id = 'm1'"])
        let error = try sealRefusal(h)
        #expect(error.message.contains("member m1"), "\(error)")
    }
}
