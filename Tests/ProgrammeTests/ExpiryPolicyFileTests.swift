import Foundation
import LoyaltyTesting
import Programme
import Testing

/// The `expiry` section and partners' `pending_days` (issue 13, items 2 and 3): each
/// policy decodes, and every misconfiguration is a problem naming its field.
@Suite(.timeLimit(.minutes(10)))
struct ExpiryPolicyFileTests {
    func decode(_ edit: (inout [String: Any]) -> Void) throws -> Result<Programme, ProgrammeError> {
        try decodeEditedSample(edit)
    }

    func policy(_ expiry: [String: Any]) throws -> Result<Programme, ProgrammeError> {
        try decode { $0["expiry"] = expiry }
    }

    func problems(_ expiry: [String: Any]) throws -> ProgrammeError {
        guard case .failure(let error) = try policy(expiry) else {
            Issue.record("expected problems for \(expiry)")
            return ProgrammeError(problems: [])
        }
        return error
    }

    @Test func withoutASectionExpiryMonthsRulesAsBefore() throws {
        let programme = try decode { _ in }.get()
        #expect(programme.expiryPolicy == ExpiryPolicy())
        let earned = CivilTime.days(year: 2026, month: 1, day: 31) * CivilTime.millisecondsPerDay
        // The sample's 24 months: 2028-01-31, same time of day.
        #expect(programme.expiry(eventTimeMilliseconds: earned) == CivilTime.days(year: 2028, month: 1, day: 31) * CivilTime.millisecondsPerDay)
    }

    @Test func eachPolicyDecodes() throws {
        #expect(try policy(["policy": "months_after_earning", "months": 18]).get().expiryPolicy == ExpiryPolicy(.monthsAfterEarning(months: 18)))
        #expect(try policy(["policy": "end_of_month", "months": 0]).get().expiryPolicy == ExpiryPolicy(.endOfMonth(months: 0)))
        #expect(try policy(["policy": "end_of_year", "years": 2]).get().expiryPolicy == ExpiryPolicy(.endOfYear(years: 2)))
        #expect(try policy(["policy": "never"]).get().expiryPolicy == ExpiryPolicy(.never))
        #expect(try policy(["policy": "inactivity", "months": 18]).get().expiryPolicy == ExpiryPolicy(.inactivity(months: 18)))
    }

    @Test func unknownPolicyAndMissingKeysAreNamed() throws {
        var error = try problems(["policy": "yearly", "years": 1])
        #expect(error.problems.contains { $0.field == "expiry.policy" && $0.reason.contains("unknown policy \"yearly\"") })
        error = try problems(["months": 12])
        #expect(error.problems.contains { $0.field == "expiry.policy" && $0.reason.contains("missing") })
        error = try problems(["policy": "inactivity"])
        #expect(error.problems.contains { $0.field == "expiry.months" && $0.reason.contains("missing") })
        error = try problems(["policy": "end_of_year"])
        #expect(error.problems.contains { $0.field == "expiry.years" && $0.reason.contains("missing") })
        error = try problems(["policy": "never", "months": 12])
        #expect(error.problems.contains { $0.field == "expiry.months" && $0.reason.contains("not used by policy \"never\"") })
        error = try problems(["policy": "end_of_month", "months": 1, "years": 1])
        #expect(error.mentions("expiry.years"))
        error = try problems(["policy": "inactivity", "month": 18])
        #expect(error.mentions("expiry.month"))  // a misspelt key: unknown, and months missing
        #expect(error.mentions("expiry.months"))
    }

    @Test func outOfRangeNIsNamed() throws {
        for (expiry, field) in [
            (["policy": "months_after_earning", "months": 0] as [String: Any], "expiry.months"),
            (["policy": "months_after_earning", "months": 601], "expiry.months"),
            (["policy": "inactivity", "months": 0], "expiry.months"),
            (["policy": "inactivity", "months": -3], "expiry.months"),
            (["policy": "end_of_month", "months": -1], "expiry.months"),
            (["policy": "end_of_month", "months": 601], "expiry.months"),
            (["policy": "end_of_year", "years": 51], "expiry.years"),
            (["policy": "end_of_year", "years": -1], "expiry.years"),
        ] {
            let error = try problems(expiry)
            #expect(error.problems.contains { $0.field == field && $0.reason.contains("must be in") }, "\(expiry): \(error)")
        }
    }

    @Test func pendingDaysAreCheckedPerPartner() throws {
        let programme = try decode { object in
            var partners = object["partners"] as! [[String: Any]]
            partners[0]["pending_days"] = 14
            object["partners"] = partners
        }.get()
        #expect(programme.hasPendingPoints)
        #expect(programme.partners.filter { $0.pendingDays == 14 }.count == 1)
        for days in [-1, 366] {
            guard
                case .failure(let error) = try decode({ object in
                    var partners = object["partners"] as! [[String: Any]]
                    partners[1]["pending_days"] = days
                    object["partners"] = partners
                })
            else {
                Issue.record("pending_days \(days) accepted")
                continue
            }
            #expect(error.problems.contains { $0.field == "partners[1].pending_days" && $0.reason.contains("0...365") })
        }
    }

    @Test func availabilityIsTheEventTimePlusTheWindow() {
        #expect(Programme.availability(pendingDays: 0, eventTimeMilliseconds: 5) == 5)
        #expect(Programme.availability(pendingDays: 14, eventTimeMilliseconds: 5) == Int64(1_209_600_005))
        #expect(Programme.availability(pendingDays: 14, eventTimeMilliseconds: .max - 1) == nil)
    }
}
