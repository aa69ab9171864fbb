import Foundation
import LoyaltyTesting
import Programme
import Testing

/// `idempotency_horizon_days` and `reversal_window_days`: optional, both or neither, in range,
/// each problem naming its field.
@Suite struct HorizonSettingsTests {
    func decode(_ extra: [String: Any]) throws -> Result<Programme, ProgrammeError> {
        try decodeEditedSample { $0.merge(extra) { $1 } }
    }

    func problems(_ extra: [String: Any]) throws -> [(field: String, reason: String)] {
        guard case .failure(let error) = try decode(extra) else { return [] }
        return error.problems
    }

    @Test func absentMeansNoHorizonAndBothAreRead() throws {
        #expect(Programme.sample.idempotencyHorizonDays == nil && Programme.sample.archiveAgeMilliseconds == nil)
        let programme = try decode(["idempotency_horizon_days": 90, "reversal_window_days": 180]).get()
        #expect(programme.idempotencyHorizonDays == 90 && programme.reversalWindowDays == 180)
        #expect(programme.archiveAgeMilliseconds == Int64(180) * 86_400_000)
        #expect(programme.idempotencyHorizonMilliseconds == Int64(90) * 86_400_000)
    }

    @Test func oneWithoutTheOtherIsRefusedNamingTheMissingField() throws {
        let missingWindow = try problems(["idempotency_horizon_days": 90])
        #expect(missingWindow.count == 1 && missingWindow[0].field == "reversal_window_days")
        let missingHorizon = try problems(["reversal_window_days": 90])
        #expect(missingHorizon.count == 1 && missingHorizon[0].field == "idempotency_horizon_days")
    }

    @Test(arguments: [0, -1, 36_501])
    func outOfRangeIsRefusedWithTheValue(days: Int) throws {
        let found = try problems(["idempotency_horizon_days": days, "reversal_window_days": 30])
        #expect(found.count == 1 && found[0].field == "idempotency_horizon_days" && found[0].reason.contains("\(days)"))
        let wrongType = try problems(["idempotency_horizon_days": "90", "reversal_window_days": 30])
        #expect(wrongType.first?.field == "idempotency_horizon_days")
    }
}

/// `archive_cycle_summaries`: off unless set, read when set, refused without the horizons
/// that make anything archived.
@Suite struct CycleSummarySettingTests {
    @Test func offByDefaultReadWhenSetAndRefusedWithoutHorizons() throws {
        #expect(!Programme.sample.archivesCycleSummaries)
        let horizons: [String: Any] = ["idempotency_horizon_days": 90, "reversal_window_days": 180]
        let on = try decodeEditedSample { $0.merge(horizons.merging(["archive_cycle_summaries": true]) { $1 }) { $1 } }.get()
        #expect(on.archivesCycleSummaries)
        let off = try decodeEditedSample { $0.merge(horizons) { $1 } }.get()
        #expect(!off.archivesCycleSummaries)
        guard case .failure(let error) = try decodeEditedSample({ $0["archive_cycle_summaries"] = true }) else {
            Issue.record("archive_cycle_summaries without horizons was accepted")
            return
        }
        #expect(error.problems.count == 1 && error.problems[0].field == "archive_cycle_summaries")
        #expect(error.problems[0].reason.contains("idempotency_horizon_days"))
        guard case .failure(let typed) = try decodeEditedSample({ $0.merge(horizons.merging(["archive_cycle_summaries": "yes"]) { $1 }) { $1 } })
        else {
            Issue.record("a string for archive_cycle_summaries was accepted")
            return
        }
        #expect(typed.problems.first?.field == "archive_cycle_summaries")
    }
}
