import Foundation
import Programme
import SQLite
import Testing

@testable import Ledger

/// Programme versions that change the horizons (docs/programme.md, "Programme versions"):
/// archiving is safe only while every later entry is checked against limits no longer
/// than the ones the archived rows left under.
@Suite struct HorizonVersionTests {
    static func json(version: String, horizon: Int?, window: Int?, summaries: Bool = false) -> String {
        var settings = ""
        if let horizon { settings += "\"idempotency_horizon_days\": \(horizon), " }
        if let window { settings += "\"reversal_window_days\": \(window), " }
        if summaries { settings += "\"archive_cycle_summaries\": true, " }
        return Programme.sampleJSON.replacingOccurrences(
            of: "\"version\": \"2026-11-01\",", with: "\"version\": \"\(version)\", \(settings)")
    }

    /// A shard of the sample with a 20-day horizon and window, `days` days of one accrual
    /// and a barrier each: the first days' journal rows are archived by the end.
    static func archivedShard(days: Int) throws -> Harness {
        let base = try Programme.decode(jsonData: Data(json(version: "2026-11-01", horizon: 20, window: 20).utf8))
        let h = try Harness(programme: base)
        for day in 0..<days {
            let time = Clock.t0 + Int64(day) * Clock.day
            try h.run([
                ProgrammeVersionTests.accrual("hotel", "h\(day)", "m1", 10_000, at: time),
                .barrier(cycle: Int64(day), closedAtMilliseconds: time + Clock.day),
            ])
        }
        #expect(try h.shard.archives().count > 0)
        return h
    }

    @Test(arguments: [(60, 20), (20, 60), (nil, nil)] as [(Int?, Int?)])
    func aVersionMayNotLengthenOrLiftTheHorizonsOfAnArchivingLedger(horizon: Int?, window: Int?) throws {
        let h = try Self.archivedShard(days: 30)
        let before = try h.shard.member("m1")
        let longer = try ProgrammeVersionTests.release(Self.json(version: "2026-12-01", horizon: horizon, window: window))
        #expect {
            try h.run([.programme(longer)])
        } throws: { error in
            let text = "\(error)"
            return (error as? LedgerError)?.code == .programmeVersion
                && text.contains(horizon != 20 ? "idempotency_horizon_days" : "reversal_window_days")
                && text.contains("archived")
        }
        // Nothing changed: a retry of day 0's accrual (archived) is still past the horizon, not paid again.
        h.offset -= 1
        #expect(h.shard.programme.version == "2026-11-01")
        #expect(try h.tx("hotel", "h0", "m1", at: Clock.t0, accrual(10_000)).reason == .pastIdempotencyHorizon)
        #expect(try h.shard.member("m1") == before)
    }

    /// The same change made by editing the worker's programme file, with no version in the
    /// log: the file prices the next entries, so an archiving shard refuses the batch.
    @Test(arguments: [(60, 20), (20, 60), (nil, nil)] as [(Int?, Int?)])
    func aProgrammeFileMayNotLengthenOrLiftTheHorizonsOfAnArchivingLedger(horizon: Int?, window: Int?) throws {
        let h = try Self.archivedShard(days: 30)
        let before = try h.shard.member("m1")
        let next = try h.shard.nextOffset()
        let longer = try Programme.decode(jsonData: Data(Self.json(version: "2026-11-02", horizon: horizon, window: window).utf8))
        h.shard.close()
        h.shard = try Shard(path: h.path, partition: 3, programme: longer)
        // A retry of day 0's accrual, archived and its key forgotten: refused, batch and all.
        #expect {
            try h.tx("hotel", "h0", "m1", at: Clock.t0, accrual(10_000))
        } throws: { error in
            let text = "\(error)"
            return (error as? LedgerError)?.code == .programmeVersion && text.contains("worker's programme file")
                && text.contains(horizon != 20 ? "idempotency_horizon_days" : "reversal_window_days")
                && text.contains("archived under")
        }
        #expect(try h.shard.nextOffset() == next && h.shard.member("m1") == before)
        // Given back the file it archived under, the shard refuses the retry as before.
        h.offset = next
        try h.reopen()
        #expect(try h.tx("hotel", "h0", "m1", at: Clock.t0, accrual(10_000)).reason == .pastIdempotencyHorizon)
        #expect(try h.shard.member("m1") == before)
    }

    /// The limits recorded are the shortest archived under: a version that shortened them
    /// and archived binds a programme file even after it (here: the base file again, on a
    /// copy of the shard without its versions, as a rebuild with the wrong file would be).
    @Test func theLimitsAreTheShortestArchivedUnderAndAFileWithinThemIsTaken() throws {
        let h = try Self.archivedShard(days: 30)
        let archived = try #require(try h.shard.store.archiveLimits())
        #expect(archived.horizonDays == 20 && archived.reversalDays == 20)
        let shorter = try ProgrammeVersionTests.release(Self.json(version: "2026-12-01", horizon: 10, window: 15))
        try h.run([.programme(shorter)])
        for day in 30..<35 {
            let time = Clock.t0 + Int64(day) * Clock.day
            try h.run([.barrier(cycle: Int64(day), closedAtMilliseconds: time + Clock.day)])
        }
        let shortest = try #require(try h.shard.store.archiveLimits())
        #expect(shortest.horizonDays == 10 && shortest.reversalDays == 15)
        // Reopened, the version in force prices: nothing to refuse.
        try h.reopen()
        #expect(try h.tx("hotel", "late", "m1", at: Clock.t0 + 35 * Clock.day, accrual(10_000)).status == .accepted)
        // Without the versions (dropped by hand, as a file rebuilt with only the base
        // programme would lack them), the base file's 20 days are longer than 10 and 15.
        try h.shard.db.execute("DELETE FROM programme_versions")
        try h.reopen()
        #expect {
            try h.tx("hotel", "later", "m1", at: Clock.t0 + 35 * Clock.day, accrual(10_000))
        } throws: { error in
            (error as? LedgerError)?.code == .programmeVersion && "\(error)".contains("lengthens idempotency_horizon_days from 10 to 20")
        }
        h.offset -= 1
        // A file within them (equal) is taken.
        h.shard.close()
        let within = try Programme.decode(jsonData: Data(Self.json(version: "2026-11-03", horizon: 10, window: 15).utf8))
        h.shard = try Shard(path: h.path, partition: 3, programme: within)
        #expect(try h.tx("hotel", "later", "m1", at: Clock.t0 + 35 * Clock.day, accrual(10_000)).status == .accepted)
    }

    /// A barrier closing before the last one (not the clearing node's: its closes only
    /// increase) is sealed at the last close: the log time, which the horizon counts from,
    /// never goes back to where an archived key would be inside it again.
    @Test func aBarrierClosingBeforeTheLastIsSealedAtTheLastClose() throws {
        let h = try Self.archivedShard(days: 30)
        let before = try h.shard.member("m1")
        let last = Clock.t0 + 30 * Clock.day
        let outputs = try h.run([.barrier(cycle: 30, closedAtMilliseconds: Clock.t0 + Clock.day)])
        guard case .position(let position) = try #require(outputs.first) else {
            Issue.record("expected a position, got \(outputs)")
            return
        }
        #expect(position.cycle == 30 && position.closedAtMilliseconds == last)
        #expect(try h.tx("hotel", "h0", "m1", at: Clock.t0, accrual(10_000)).reason == .pastIdempotencyHorizon)
        #expect(try h.shard.member("m1") == before)
    }

    @Test func shorterHorizonsAndHorizonsAddedLaterAreTaken() throws {
        let h = try Self.archivedShard(days: 30)
        let shorter = try ProgrammeVersionTests.release(Self.json(version: "2026-12-01", horizon: 10, window: 15))
        try h.run([.programme(shorter)])
        #expect(h.shard.programme.idempotencyHorizonDays == 10)

        let unbounded = try Harness(programme: .sample)
        let added = try ProgrammeVersionTests.release(Self.json(version: "2026-12-01", horizon: 20, window: 20))
        try unbounded.run([.programme(added)])
        #expect(unbounded.shard.programme.reversalWindowDays == 20)
    }
}
