import Foundation
import Programme
import Testing

/// The `statuses` section: decoded into `StatusRules`, each misconfiguration reported with
/// its field path (docs/programme.md, "Statuses"). The sample's floors: 100 bp default,
/// pharmacy 500 bp, fuel 200 bp.
@Suite struct StatusCheckTests {
    /// A valid section: hotel-style, at the sample's hotel and airline.
    static var valid: [String: Any] {
        [
            "window_days": 365,
            "partners": ["hotel", "airline"],
            "downgrade_after_inactive_days": 400,
            "activation": "next_visit",
            "levels": [
                ["name": "guest"],
                ["name": "bronze", "qualify": ["visits": 2], "earn_bp": ["default": 500]],
                ["name": "silver", "qualify": ["visits": 10, "nights": 15], "earn_multiplier_bp": 20_000],
                ["name": "gold", "qualify": ["visits": 20, "nights": 30], "earn_bp": ["default": 2000, "categories": ["pharmacy": 2500]]],
            ],
        ]
    }

    func sample(statuses: [String: Any]?) throws -> Data {
        var object = try #require(JSONSerialization.jsonObject(with: Data(Programme.sampleJSON.utf8)) as? [String: Any])
        object["statuses"] = statuses
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// The problems of the sample with `statuses`; [] when it loads.
    func problems(_ statuses: [String: Any]) throws -> [(field: String, reason: String)] {
        let data = try sample(statuses: statuses)
        do {
            _ = try Programme.decode(jsonData: data)
            return []
        } catch {
            return error.problems
        }
    }

    /// `valid` with `edit` applied.
    func problems(_ edit: (inout [String: Any]) -> Void) throws -> [(field: String, reason: String)] {
        var statuses = Self.valid
        edit(&statuses)
        return try problems(statuses)
    }

    func editLevel(_ statuses: inout [String: Any], _ index: Int, _ edit: (inout [String: Any]) -> Void) {
        var levels = statuses["levels"] as! [[String: Any]]
        edit(&levels[index])
        statuses["levels"] = levels
    }

    func expectProblem(
        _ found: [(field: String, reason: String)], _ field: String, _ words: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            found.contains { $0.field == field && $0.reason.contains(words) }, "expected \(field): …\(words)…, got \(found)",
            sourceLocation: sourceLocation)
    }

    @Test func aValidSectionDecodesIntoTheRules() throws {
        let programme = try Programme.decode(jsonData: try sample(statuses: Self.valid))
        let rules = programme.statuses
        #expect(rules.isEnabled && rules.period == .rollingDays(365) && rules.activation == .nextVisit)
        #expect(rules.partnerIds == ["hotel", "airline"] && rules.downgradeAfterInactiveDays == 400)
        #expect(rules.levels.map(\.name) == ["guest", "bronze", "silver", "gold"])
        #expect(rules.levels[0].qualify == nil && rules.levels[0].earn == .partnerRate)
        #expect(rules.levels[2].qualify == StatusRules.Thresholds(visits: 10, nights: 15))
        #expect(rules.levels[2].earn == .multiplier(20_000))
        #expect(rules.levels[3].earn == .rates(defaultBasisPoints: 2000, categories: ["pharmacy": 2500]))
        // Any of the thresholds: 9 visits and 15 nights is silver, 20 visits gold.
        #expect(rules.level(spendMinor: 0, visits: 9, nights: 15) == 2)
        #expect(rules.level(spendMinor: 10_000_000, visits: 20, nights: 0) == 3)
        #expect(rules.level(spendMinor: 10_000_000, visits: 1, nights: 14) == 0)
        // Without the section: no statuses.
        #expect(!(try Programme.decode(jsonData: try sample(statuses: nil))).statuses.isEnabled)
        // Calendar periods.
        var calendar = Self.valid
        calendar["window_days"] = nil
        calendar["calendar"] = "year"
        calendar["upgrade_in_period"] = false
        let yearly = try Programme.decode(jsonData: try sample(statuses: calendar)).statuses
        #expect(yearly.period == .calendarYear && !yearly.upgradeInPeriod)
    }

    @Test func thePeriodIsOneOfWindowOrCalendar() throws {
        expectProblem(try problems { $0["window_days"] = nil }, "statuses", "needs a qualification period")
        expectProblem(try problems { $0["calendar"] = "month" }, "statuses.window_days", "given together with statuses.calendar")
        expectProblem(
            try problems {
                $0["window_days"] = nil
                $0["calendar"] = "week"
            }, "statuses.calendar", "must be \"month\" or \"year\", got \"week\"")
        expectProblem(try problems { $0["window_days"] = 0 }, "statuses.window_days", "must be in 1...3660 days, got 0")
        expectProblem(try problems { $0["window_days"] = 4000 }, "statuses.window_days", "got 4000")
        expectProblem(try problems { $0["upgrade_in_period"] = true }, "statuses.upgrade_in_period", "calendar periods only")
        expectProblem(
            try problems { $0["downgrade_after_inactive_days"] = 0 }, "statuses.downgrade_after_inactive_days", "must be in 1...36500 days")
        expectProblem(try problems { $0["activation"] = "later" }, "statuses.activation", "\"immediate\" or \"next_visit\", got \"later\"")
    }

    @Test func partnerSetNamesKnownPartnersOnce() throws {
        let found = try problems { $0["partners"] = ["hotel", "spa", "hotel"] }
        expectProblem(found, "statuses.partners[1]", "\"spa\" is not a partner")
        expectProblem(found, "statuses.partners[2]", "already listed at statuses.partners[0]")
    }

    @Test func levelsNeedABaseUniqueNamesAndAMetric() throws {
        expectProblem(try problems { $0["levels"] = [] as [Any] }, "statuses.levels", "at least the base status")
        expectProblem(try problems { $0["levels"] = nil }, "statuses.levels", "is missing")
        expectProblem(try problems { editLevel(&$0, 0) { $0["qualify"] = ["visits": 1] } }, "statuses.levels[0].qualify", "the base")
        expectProblem(try problems { editLevel(&$0, 1) { $0["qualify"] = nil } }, "statuses.levels[1].qualify", "is missing")
        expectProblem(
            try problems { editLevel(&$0, 1) { $0["qualify"] = [String: Any]() } }, "statuses.levels[1].qualify",
            "at least one of spend_minor, visits, nights")
        expectProblem(
            try problems { editLevel(&$0, 2) { $0["name"] = "bronze" } }, "statuses.levels[2].name", "already the name of statuses.levels[1]")
        expectProblem(try problems { editLevel(&$0, 2) { $0["name"] = nil } }, "statuses.levels[2].name", "is missing")
        expectProblem(try problems { editLevel(&$0, 2) { $0["name"] = "" } }, "statuses.levels[2].name", "must not be empty")
        expectProblem(
            try problems { editLevel(&$0, 2) { $0["name"] = String(repeating: "x", count: 65) } }, "statuses.levels[2].name", "longer than 64")
        expectProblem(try problems { editLevel(&$0, 2) { $0["name"] = "gold\n" } }, "statuses.levels[2].name", "printable ASCII")
    }

    @Test func thresholdsMustIncreaseFromStatusToStatus() throws {
        // gold's nights below silver's: overlapping statuses.
        expectProblem(
            try problems { editLevel(&$0, 3) { $0["qualify"] = ["visits": 20, "nights": 15] } }, "statuses.levels[3].qualify.nights",
            "15 does not exceed statuses.levels[2].qualify.nights (15)")
        expectProblem(
            try problems { editLevel(&$0, 2) { $0["qualify"] = ["visits": 1] } }, "statuses.levels[2].qualify.visits",
            "does not exceed statuses.levels[1].qualify.visits (2)")
        expectProblem(
            try problems { editLevel(&$0, 1) { $0["qualify"] = ["spend_minor": 0] } }, "statuses.levels[1].qualify.spend_minor",
            "must be in 1...10^12, got 0")
    }

    @Test func earnByMultiplierOrRatesInRangeAndAboveTheFloors() throws {
        expectProblem(
            try problems { editLevel(&$0, 2) { $0["earn_bp"] = ["default": 1000] } }, "statuses.levels[2].earn_multiplier_bp",
            "given together with earn_bp")
        expectProblem(
            try problems { editLevel(&$0, 2) { $0["earn_multiplier_bp"] = 5000 } }, "statuses.levels[2].earn_multiplier_bp",
            "must be in 10000...100000 bp (×1 to ×10), got 5000")
        expectProblem(
            try problems { editLevel(&$0, 1) { $0["earn_bp"] = ["default": 50] } }, "statuses.levels[1].earn_bp.default",
            "below the operator's default floor of 100 bp")
        expectProblem(
            try problems { editLevel(&$0, 1) { $0["earn_bp"] = ["default": 10_001] } }, "statuses.levels[1].earn_bp.default",
            "must be in 0...10000 bp")
        expectProblem(
            try problems { editLevel(&$0, 1) { $0["earn_bp"] = ["categories": ["fuel": 300]] } }, "statuses.levels[1].earn_bp.default",
            "is missing")
        expectProblem(
            try problems { editLevel(&$0, 3) { $0["earn_bp"] = ["default": 2000, "categories": ["pharmacy": 400]] } },
            "statuses.levels[3].earn_bp.categories.pharmacy", "400 bp is below the operator floor of 500 bp")
    }

    @Test func misspeltKeysAreProblemsNotDefaults() throws {
        let found = try problems {
            $0["activaton"] = "immediate"
            editLevel(&$0, 1) { $0["qualify"] = ["visit": 2, "visits": 2] }
            editLevel(&$0, 2) { $0["earn_multiplier"] = 15_000 }
        }
        for field in ["statuses.activaton", "statuses.levels[1].qualify.visit", "statuses.levels[2].earn_multiplier"] {
            expectProblem(found, field, "is not a field")
        }
    }

    @Test func everyProblemIsListedAtOnce() throws {
        let found = try problems {
            $0["window_days"] = 0
            $0["partners"] = ["nobody"]
            editLevel(&$0, 2) { $0["earn_multiplier_bp"] = 1 }
        }
        #expect(Set(found.map(\.field)) == ["statuses.window_days", "statuses.partners[0]", "statuses.levels[2].earn_multiplier_bp"])
    }
}
