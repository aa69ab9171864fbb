import Programme
import Testing

@testable import Ledger
@testable import loyalty

/// `ledger inspect`'s line on the sealed history still hot: what the worker's archive gauges
/// say, readable without a running worker, naming the cycle and the record that hold the
/// archives back.
@Suite struct LedgerInspectHotHistoryTests {
    @Test func theLineNamesTheCycleAndTheRecordThatHoldTheArchives() {
        let day = CivilTime.millisecondsPerDay
        let t0 = CivilTime.days(year: 2026, month: 1, day: 1) * day
        #expect(
            LedgerCommand.Inspect.hotHistoryLine(HotHistory(cycles: 5, overdueCycles: 0, oldest: nil, archiveAgeMilliseconds: nil))
                == "hot cycles: 5 (the programme given archives nothing)")
        let steady = HotHistory(
            cycles: 182, overdueCycles: 0, oldest: .init(cycle: 539, closedAtMilliseconds: t0, archiveTimeMilliseconds: t0),
            archiveAgeMilliseconds: 180 * day)
        #expect(LedgerCommand.Inspect.hotHistoryLine(steady) == "hot cycles: 182 (archive age 180 days), 0 overdue")
        let held = HotHistory(
            cycles: 24, overdueCycles: 2,
            oldest: .init(cycle: 0, closedAtMilliseconds: t0 + day, archiveTimeMilliseconds: t0 + 10 * day, heldBy: "hotel/ahead"),
            archiveAgeMilliseconds: 20 * day)
        #expect(
            LedgerCommand.Inspect.hotHistoryLine(held)
                == "hot cycles: 24 (archive age 20 days), 2 overdue: cycle 0, closed 2026-01-02T00:00:00.000Z, holds them with a row dated 2026-01-11T00:00:00.000Z (hotel/ahead)"
        )
    }

    @Test func theLimitsTheShardArchivedUnderAreNamed() {
        #expect(LedgerCommand.Inspect.archiveLimitsLine(nil) == "archived under: no limits recorded (nothing archived since 2026-12-04)")
        #expect(
            LedgerCommand.Inspect.archiveLimitsLine((horizonDays: 20, reversalDays: 30))
                == "archived under: idempotency_horizon_days 20, reversal_window_days 30 (a worker's programme file may not be longer)")
    }
}
