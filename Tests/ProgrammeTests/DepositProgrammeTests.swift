import Foundation
import LoyaltyTesting
import Programme
import Testing

/// A partner's `deposit` and `exposure_cap_minor`: decoded, defaulted, and every bad value
/// named by its field path.
@Suite(.timeLimit(.minutes(10))) struct DepositProgrammeTests {
    func decode(_ partner: [String: Any]) throws -> Result<Programme, ProgrammeError> {
        try decodeEditedSample { object in
            var partners = object["partners"] as! [[String: Any]]
            partners[1].merge(partner) { _, new in new }
            object["partners"] = partners
        }
    }

    func problems(_ partner: [String: Any]) throws -> [String] {
        switch try decode(partner) {
        case .success: return []
        case .failure(let error): return error.problems.map { "\($0.field): \($0.reason)" }
        }
    }

    @Test func aFullDepositAndCapDecode() throws {
        let programme = try decode([
            "deposit": [
                "amount_minor": 5_000_000, "frozen_minor": 1_500_000, "low_threshold_minor": 1_000_000, "when_exhausted": "refuse",
            ],
            "exposure_cap_minor": 20_000_000,
        ]).get()
        let fuel = try #require(programme.partner("fuel"))
        #expect(
            fuel.deposit == Deposit(amountMinor: 5_000_000, frozenMinor: 1_500_000, lowThresholdMinor: 1_000_000, whenExhausted: .refuse))
        #expect(fuel.exposureCapMinor == 20_000_000)
        #expect(programme.partner("cinema")?.deposit == nil)
        #expect(programme.partner("cinema")?.exposureCapMinor == nil)
    }

    @Test func optionalFieldsDefault() throws {
        let programme = try decode(["deposit": ["amount_minor": 1_000]]).get()
        #expect(programme.partner("fuel")?.deposit == Deposit(amountMinor: 1_000, frozenMinor: 0, lowThresholdMinor: 0, whenExhausted: .owe))
    }

    @Test func badValuesAreNamed() throws {
        #expect(try problems(["deposit": ["frozen_minor": 5]]).contains { $0.hasPrefix("partners[1].deposit.amount_minor: is missing") })
        #expect(
            try problems(["deposit": ["amount_minor": 100, "frozen_minor": 101]]) == [
                "partners[1].deposit.frozen_minor: must be in 0...amount_minor (100), got 101"
            ])
        #expect(
            try problems(["deposit": ["amount_minor": 100, "when_exhausted": "stop"]]) == [
                "partners[1].deposit.when_exhausted: must be \"owe\" or \"refuse\", got \"stop\""
            ])
        #expect(
            try problems(["deposit": ["amount_minor": -1]]) == ["partners[1].deposit.amount_minor: must be in 0...10^12 minor units, got -1"])
        #expect(
            try problems(["deposit": ["amount_minor": 1, "low_threshold_minor": -3]]) == [
                "partners[1].deposit.low_threshold_minor: must be in 0...10^12 minor units, got -3"
            ])
        #expect(
            try problems(["exposure_cap_minor": 0]) == [
                "partners[1].exposure_cap_minor: must be in 1...10^12 minor units (leave it out for no cap), got 0"
            ])
    }

    @Test func misspeltDepositKeysAreProblems() throws {
        let found = try problems(["deposit": ["amount_minor": 100, "frozen": 5], "exposure_cap": 7])
        #expect(found.contains { $0.hasPrefix("partners[1].deposit.frozen") })
        #expect(found.contains { $0.hasPrefix("partners[1].exposure_cap") })
    }
}
