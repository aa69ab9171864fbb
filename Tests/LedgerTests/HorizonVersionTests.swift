import Foundation
import Programme
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
