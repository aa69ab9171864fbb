import Foundation
import Programme
import Testing

@testable import Ledger

/// `Shard.hotHistory` (the worker's `loyalty_worker_hot_cycles` and
/// `loyalty_worker_archive_overdue_cycles`): flat and nothing overdue while the archives keep
/// pace; a row dated after its cycle's close shows as overdue cycles, named by the cycle
/// that holds them, until the archives catch up.
@Suite struct HotHistoryTests {
    @Test func aRowDatedAheadShowsAsOverdueCyclesUntilTheArchivesCatchUp() throws {
        let h = try HorizonRetryTests.shard()
        let control = try HorizonRetryTests.shard()
        try HorizonRetryTests.run(h, days: 0..<1, first: HorizonRetryTests.aheadTenDays)
        try HorizonRetryTests.run(control, days: 0..<1)
        for day in 1..<24 {
            try HorizonRetryTests.run(h, days: day..<(day + 1))
            try HorizonRetryTests.run(control, days: day..<(day + 1))
            let steady = try control.shard.hotHistory()
            #expect(steady.overdueCycles == 0, "day \(day)")
            // 20 days of age, a barrier a day: at most the age in cycles and the two a barrier counts from.
            #expect(steady.cycles == min(day + 1, 22), "day \(day)")
        }
        // Cycle 0 closed on day 1, its row is dated day 10: the barriers of days 22 and 23
        // would have taken cycles 0 and 1 by their close times, and took nothing.
        let held = try h.shard.hotHistory()
        #expect(held.cycles == 24)
        #expect(held.overdueCycles == 2)
        #expect(
            held.oldest
                == HotHistory.Cycle(
                    cycle: 0, closedAtMilliseconds: Clock.t0 + Clock.day, archiveTimeMilliseconds: Clock.t0 + 10 * Clock.day, heldBy: "hotel/ahead"))
        #expect(held.archiveAgeMilliseconds == 20 * Clock.day)
        #expect(try h.shard.archives().isEmpty)

        // Once day 10 is past the age (the barrier of day 31) the held cycles go, and the
        // shard is as flat as the control.
        try HorizonRetryTests.run(h, days: 24..<33)
        try HorizonRetryTests.run(control, days: 24..<33)
        let caughtUp = try h.shard.hotHistory()
        #expect(caughtUp.overdueCycles == 0)
        #expect(caughtUp.cycles == 22)
        #expect(caughtUp == (try control.shard.hotHistory()))
    }

    @Test func withoutTheHorizonsNothingIsArchivedAndNothingIsOverdue() throws {
        let h = try Harness()
        #expect(try h.shard.hotHistory() == HotHistory(cycles: 0, overdueCycles: 0, oldest: nil, archiveAgeMilliseconds: nil))
        for day in 0..<5 {
            let time = Clock.t0 + Int64(day) * Clock.day
            try h.run([
                ProgrammeVersionTests.accrual("hotel", "h\(day)", "m1", 10_000, at: time),
                .barrier(cycle: Int64(day + 1), closedAtMilliseconds: time + Clock.day),
            ])
        }
        let history = try h.shard.hotHistory()
        #expect(history.cycles == 5)
        #expect(history.overdueCycles == 0)
        #expect(history.archiveAgeMilliseconds == nil)
        #expect(history.oldest?.cycle == 1)
    }
}
