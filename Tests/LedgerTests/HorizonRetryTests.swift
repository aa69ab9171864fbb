import Foundation
import Programme
import SQLite
import Testing

@testable import Ledger

/// Retries of archived transactions (docs/design.md, "Bounded hot state"): the horizon
/// counts from the partner's time, which every retry carries unchanged, and a row dated
/// after its cycle's close keeps the cycle hot. Before 2026-12-04 both retries below were
/// applied again: 600 points issued twice for one partner transaction.
@Suite struct HorizonRetryTests {
    static let hour: Int64 = 3_600_000

    /// An accrual as the worker decodes one the gateway stamped: event time its
    /// `received_at_ms`, the partner's `occurred_at_ms` beside it.
    static func stamped(_ txn: String, occurredAt: Int64, receivedAt: Int64) -> Transaction {
        var details = Transaction.Details()
        details.occurredAtMilliseconds = occurredAt
        return Transaction(
            partnerId: "hotel", partnerTxnId: txn, memberId: "m1", eventTimeMilliseconds: receivedAt,
            body: .accrual(amountMinor: 10_000, currency: "EUR", category: "any"), details: details)
    }

    /// An accrual straight from a partner (no gateway stamp), dated `day`.
    static func direct(_ txn: String, partner: String = "hotel", day: Int64) -> Transaction {
        Transaction(
            partnerId: partner, partnerTxnId: txn, memberId: "m1", eventTimeMilliseconds: Clock.t0 + day * Clock.day,
            body: .accrual(amountMinor: 10_000, currency: "EUR", category: "any"))
    }

    static func outcome(_ h: Harness, _ t: Transaction) throws -> Outcome {
        let outputs = try h.run([.transaction(t)])
        guard case .result(_, _, let outcome, _, _) = try #require(outputs.first) else {
            Issue.record("expected a result, got \(outputs)")
            return Outcome(status: .rejected)
        }
        return outcome
    }

    /// The sample with a 20-day horizon and window.
    static func shard() throws -> Harness {
        try Harness(programme: try Programme.decode(jsonData: Data(HorizonVersionTests.json(version: "2026-11-01", horizon: 20, window: 20).utf8)))
    }

    /// Days `days` of one accrual and a barrier each, `first` given on day 0 before it.
    static func run(_ h: Harness, days: Range<Int>, first: Transaction? = nil) throws {
        for day in days {
            let time = Clock.t0 + Int64(day) * Clock.day
            var kinds: [LedgerEntry.Kind] = []
            if day == 0, let first { kinds.append(.transaction(first)) }
            kinds += [
                ProgrammeVersionTests.accrual("hotel", "h\(day)", "m1", 10_000, at: time),
                .barrier(cycle: Int64(day), closedAtMilliseconds: time + Clock.day),
            ]
            try h.run(kinds)
        }
    }

    @Test func aRetryThroughTheGatewayOfAnArchivedTransactionIsRefused() throws {
        let h = try Self.shard()
        let original = Self.stamped("pos-1", occurredAt: Clock.t0, receivedAt: Clock.t0 + Self.hour)
        try Self.run(h, days: 0..<5, first: original)
        // Still hot: a duplicate, whatever the gateway stamped this time.
        let early = try Self.outcome(h, Self.stamped("pos-1", occurredAt: Clock.t0, receivedAt: Clock.t0 + 5 * Clock.day))
        #expect(early.status == .duplicate)
        try Self.run(h, days: 5..<30)
        #expect(try h.shard.archives().first.map { $0.offsets.lowerBound == 0 } == true)
        let before = try h.shard.member("m1")
        // Archived by now; the retry's event time is today's stamp, its partner time day 0's.
        let late = try Self.outcome(h, Self.stamped("pos-1", occurredAt: Clock.t0, receivedAt: Clock.t0 + 30 * Clock.day))
        #expect(late.status == .rejected && late.reason == .pastIdempotencyHorizon)
        #expect(late.detail.hasPrefix("occurred_at_ms: \(Clock.t0) is more than 20 days before the log time"))
        #expect(try h.shard.member("m1").balance == before.balance)
    }

    /// A partner clock ten days ahead: applied on day 0 (`run`'s `first`), dated day 10.
    static let aheadTenDays = Self.direct("ahead", day: 10)

    @Test func aRowDatedAfterItsCycleKeepsTheCycleHotUntilItIsPastTheHorizon() throws {
        let h = try Self.shard()
        let control = try Self.shard()
        let ahead = Self.aheadTenDays
        try Self.run(h, days: 0..<24, first: ahead)
        try Self.run(control, days: 0..<24)
        // Day 0's cycle closed 23 days before the log time, but its row is dated 14 days
        // before it: its cycle (and every later one) is still hot, where the control archived.
        #expect(try control.shard.archives().count > 0)
        #expect(try h.shard.archives().isEmpty)
        let before = try h.shard.member("m1")
        let retry = try Self.outcome(h, ahead)
        #expect(retry.status == .duplicate)
        #expect(try h.shard.member("m1").balance == before.balance)
        // Once the row's own time is past the horizon the cycle goes, and a retry is refused.
        try Self.run(h, days: 24..<33)
        #expect(try h.shard.archives().first.map { $0.offsets.lowerBound == 0 } == true)
        #expect(try Self.outcome(h, ahead).reason == .pastIdempotencyHorizon)
        #expect(try h.shard.member("m1").balance == before.balance + 600 * 9)
    }

    @Test func aRecordDatedBeyondTheArchiveAgeIsRefusedAndHoldsNothing() throws {
        let h = try Self.shard()
        try Self.run(h, days: 0..<3)
        let before = try h.shard.member("m1")
        // Straight from a partner: against the log time (day 3).
        let far = Self.direct("far", day: 400)
        let refused = try Self.outcome(h, far)
        #expect(refused.reason == .invalidField)
        #expect(
            refused.detail.hasPrefix(
                "occurred_at_ms: \(far.eventTimeMilliseconds) is more than 20 days after the log time \(Clock.t0 + 3 * Clock.day)"))
        // Through a gateway: the partner's time against the gateway's stamp.
        let stamped = try Self.outcome(
            h, Self.stamped("far-pos", occurredAt: Clock.t0 + 400 * Clock.day, receivedAt: Clock.t0 + 3 * Clock.day + Self.hour))
        #expect(stamped.reason == .invalidField && stamped.detail.contains("after the gateway's received_at_ms"))
        // A stamp far ahead does not vouch for itself: it counts up to the age past the
        // log time (a producer other than the gateway can set it).
        let selfStamped = try Self.outcome(
            h, Self.stamped("far-stamp", occurredAt: Clock.t0 + 3 * Clock.day, receivedAt: Clock.t0 + 400 * Clock.day))
        #expect(selfStamped.reason == .invalidField && selfStamped.detail.hasPrefix("received_at_ms"))
        #expect(selfStamped.detail.contains("the log time \(Clock.t0 + 3 * Clock.day) plus that age"))
        // Inside the age: taken.
        let near = Self.stamped("near-pos", occurredAt: Clock.t0 + 20 * Clock.day, receivedAt: Clock.t0 + 3 * Clock.day)
        let nearOffset = h.offset
        #expect(try Self.outcome(h, near).status == .accepted)
        #expect(try h.shard.member("m1").balance == before.balance + 600)
        // Refused rows hold nothing. They share a cycle, held only by the accepted row
        // dated day 20: it leaves once the previous close passes day 40 (day 420, were the
        // refused rows counted), later than a shard without them archives it.
        try Self.run(h, days: 3..<30)
        let control = try Self.shard()
        try Self.run(control, days: 0..<30)
        let lastArchived = { (h: Harness) throws in try h.shard.archives().last?.offsets.upperBound ?? -1 }
        #expect(try lastArchived(h) < nearOffset && lastArchived(control) > nearOffset)
        try Self.run(h, days: 30..<45)
        #expect(try h.shard.archives().contains { $0.offsets.contains(nearOffset) })
    }

    /// A key refused for being dated ahead holds no cycle, but it is kept (`refused_keys`)
    /// until a retry of it would be past the horizon: once the log time has caught up
    /// with its date, a retry would otherwise be taken as new, after the partner was told
    /// REJECTED and sent the sale again under another id (paid twice before 2026-12-04).
    @Test func aKeyRefusedAsDatedAheadStaysAnsweredAfterItsCycleIsArchived() throws {
        let h = try Self.shard()
        try Self.run(h, days: 0..<3)
        let ahead = Self.direct("fast-till", day: 28)
        let refusedOffset = h.offset
        let refused = try Self.outcome(h, ahead)
        #expect(refused.reason == .invalidField)
        try Self.run(h, days: 3..<27)
        #expect(try h.shard.archives().contains { $0.offsets.contains(refusedOffset) }, "the refused row's cycle is archived")
        try h.reopen()
        // Log time day 27: the date (day 28) is no longer too far ahead, but the key was answered.
        let before = try h.shard.member("m1")
        let retry = try Self.outcome(h, ahead)
        #expect(retry.status == .duplicate && retry.detail.contains("offset \(refusedOffset)"))
        #expect(try h.shard.member("m1") == before)
        // Once a retry is past the horizon (day 28 + 20), the horizon answers and the key goes.
        try Self.run(h, days: 27..<50)
        #expect(try Self.outcome(h, ahead).reason == .pastIdempotencyHorizon)
        let kept = try h.shard.db.prepare("SELECT COUNT(*) FROM refused_keys")
        defer { kept.reset() }
        #expect(try kept.step() && kept.int64(0) == 0)
    }

    /// The kept key goes by the horizon in force at each seal, not at its refusal: a
    /// worker's file may lengthen the horizon before anything is archived, and the rows
    /// (and retries) then stay answerable that much longer.
    @Test func aKeyRefusedAheadIsKeptByTheHorizonInForceAtEachSeal() throws {
        let h = try Self.shard()
        try Self.run(h, days: 0..<3)
        let ahead = Self.direct("fast-till", day: 25)
        let refusedOffset = h.offset
        #expect(try Self.outcome(h, ahead).reason == .invalidField)
        try Self.run(h, days: 3..<10)
        #expect(try h.shard.archives().isEmpty)
        let longer = try Programme.decode(jsonData: Data(HorizonVersionTests.json(version: "2026-11-02", horizon: 60, window: 60).utf8))
        h.shard.close()
        h.shard = try Shard(path: h.path, partition: 3, programme: longer)
        try Self.run(h, days: 10..<70)
        #expect(try h.shard.archives().contains { $0.offsets.contains(refusedOffset) }, "the refused row's cycle is archived")
        // Day 70: 45 days after its date, inside the 60-day horizon (past the 20 days it was refused under).
        let before = try h.shard.member("m1")
        #expect(try Self.outcome(h, ahead).status == .duplicate)
        #expect(try h.shard.member("m1") == before)
    }

    /// The date is checked before anything else, so a record refused for another reason
    /// (here an unknown partner) is never dated beyond the archive age, and every refused
    /// row but one dated too far ahead holds its cycle like any row.
    @Test func theDateIsCheckedFirstAndOnlyARecordDatedAheadHoldsNothing() throws {
        let h = try Self.shard()
        try Self.run(h, days: 0..<3)
        let stranger = Self.direct("x", partner: "no-such-partner", day: 400)
        let strangerOffset = h.offset
        let refused = try Self.outcome(h, stranger)
        #expect(refused.reason == .invalidField && refused.detail.hasPrefix("occurred_at_ms"))
        // A refusal inside the age (an unknown partner dated day 15, ahead of its cycle's
        // close on day 4) holds its cycle until day 15 is past the archive age.
        let near = Self.direct("y", partner: "no-such-partner", day: 15)
        #expect(try Self.outcome(h, near).reason == .unknownPartner)
        try Self.run(h, days: 3..<30)
        #expect(try h.shard.archives().allSatisfy { !$0.offsets.contains(strangerOffset) }, "held by the day-15 refusal")
        try Self.run(h, days: 30..<40)
        #expect(try h.shard.archives().contains { $0.offsets.contains(strangerOffset) })
    }

    /// An original journaled before event times were stored (migration 6) counts its
    /// reversal window from its cycle's close: once that is past the window the cancel is
    /// refused, as for any row, before its archive (built ahead of the barrier from the
    /// rows as they were) takes it. Before 2026-12-04 such a cancel was always taken.
    @Test func aLegacyOriginalsWindowCountsFromItsCyclesClose() throws {
        let h = try Self.shard()
        try Self.run(h, days: 0..<1)
        func redemption(_ txn: String, day: Int64) -> LedgerEntry.Kind {
            .transaction(
                Transaction(
                    partnerId: "hotel", partnerTxnId: txn, memberId: "m1", eventTimeMilliseconds: Clock.t0 + day * Clock.day,
                    body: .redemption(points: 100)))
        }
        let old = h.offset
        try h.run([redemption("r-old", day: 1), .barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + 2 * Clock.day)])
        try Self.run(h, days: 2..<10)
        let recent = h.offset
        try h.run([redemption("r-recent", day: 10), .barrier(cycle: 10, closedAtMilliseconds: Clock.t0 + 11 * Clock.day)])
        try h.shard.db.prepare("UPDATE journal SET event_time = NULL WHERE offset IN (?, ?)").bind(.integer(old), .integer(recent)).run()
        try Self.run(h, days: 11..<23)
        // Log time day 23: r-old's cycle closed on day 2 (21 days), not archived yet.
        #expect(try h.shard.archives().allSatisfy { !$0.offsets.contains(old) })
        let before = try h.shard.member("m1")
        let late = Transaction(
            partnerId: "hotel", partnerTxnId: "c-old", memberId: "m1", eventTimeMilliseconds: Clock.t0 + 23 * Clock.day,
            body: .cancel(originalPartnerTxnId: "r-old"))
        let refused = try Self.outcome(h, late)
        #expect(refused.reason == .pastReversalWindow && refused.detail.contains("\(Clock.t0 + 2 * Clock.day)"))
        #expect(try h.shard.member("m1") == before)
        // r-recent's cycle closed on day 11 (12 days): inside the window, taken.
        let inside = Transaction(
            partnerId: "hotel", partnerTxnId: "c-recent", memberId: "m1", eventTimeMilliseconds: Clock.t0 + 23 * Clock.day,
            body: .cancel(originalPartnerTxnId: "r-recent"))
        #expect(try Self.outcome(h, inside).status == .accepted)
        #expect(try h.shard.member("m1").balance == before.balance + 100)
    }

    /// Migration 22: a file turned back into schema 21 mid-cycle (no `cycle_times`) fills it
    /// from its hot journal, and archives the same files and positions from then on. (The
    /// history's rows are never dated after their cycle's close, so the journal's event
    /// times are all there is to find.)
    @Test func cycleTimesMigrateFromTheHotJournal() throws {
        try ArchiveTests.expectMigratesMidDay(
            seed: 37, days: 100, at: 60, rows: "SELECT cycle, latest_time FROM cycle_times ORDER BY cycle",
            rewind: "DROP TABLE cycle_times; PRAGMA user_version = 21;", straightBatch: 53
        ) { expected, straight in
            #expect(expected.first?.hasPrefix("-1 ") == true, "the open cycle has no row: the test exercises less")
            #expect(expected.count > 15, "few hot cycles: the test exercises less")
            let archives = try straight.archives()
            #expect(archives.count > 0)
        }
    }
}
