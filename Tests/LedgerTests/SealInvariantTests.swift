import Foundation
import Programme
import SQLite
import Testing

@testable import Ledger

/// Every build checks the ledger's invariants when a cycle is sealed: a file damaged
/// behind the rules' back is refused there, with the member and the numbers, and nothing
/// of the barrier's batch stays.
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
        // The table refuses such a lot: only a file written around its CHECK holds one.
        Damage(
            description: "a lot below zero",
            sql: [
                "PRAGMA ignore_check_constraints = ON", "INSERT INTO lots VALUES (99, 'm1', 'beta', 10, -3, \(Clock.at(2027, 6, 1)), \(Clock.t0))",
            ],
            message: "member m1: a lot is below zero (-3)"),
        Damage(
            description: "a redeemed point without its debt",
            sql: ["UPDATE debts SET amount_minor = amount_minor - 2 WHERE payer = 'alpha' AND payee = 'gamma'"],
            message: "partner gamma is owed 198 for 100 points redeemed at it, worth 200"),
    ]

    @Test(arguments: damages) func aDamagedLedgerIsNotSealed(_ damage: Damage) throws {
        let h = try ledger()
        for sql in damage.sql { try h.shard.db.execute(sql) }
        let error = try sealRefusal(h)
        #expect(error.code == .invariant)
        #expect(error.message.contains(damage.message), "\(error)")
    }

    @Test func theCheckCoversMembersWrittenInEarlierBatchesOfTheCycle() throws {
        let h = try ledger()
        try h.tx("beta", "b1", "m2", at: t0, accrual(4000))
        // m1 was written two batches before the barrier; its batch is long committed.
        try h.shard.db.execute("UPDATE members SET balance = balance + 1 WHERE member_id = 'm1'")
        let error = try sealRefusal(h)
        #expect(error.message.contains("member m1"), "\(error)")
    }

    /// A seal whose batch rolls back (its position could not be published) never
    /// happened: the members it checked are checked again when the barrier comes back.
    @Test func aRolledBackSealLeavesItsMembersToTheNextSeal() throws {
        let h = try ledger()
        let barrier = LedgerEntry(offset: h.offset, kind: .barrier(cycle: 1, closedAtMilliseconds: t0 + Clock.day))
        let pending = try h.shard.begin(LedgerBatch(entries: [barrier], nextOffset: h.offset + 1))
        #expect(pending.outputs.count == 1)
        h.shard.rollback(pending)
        try h.shard.db.execute("UPDATE members SET balance = balance + 1 WHERE member_id = 'm1'")
        let error = try sealRefusal(h)
        #expect(error.message.contains("member m1"), "\(error)")
    }
}
