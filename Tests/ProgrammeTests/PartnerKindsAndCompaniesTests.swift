import Foundation
import LoyaltyTesting
import Programme
import Testing

/// A partner's `kind` and `exchange`, and the programme's `companies`: decoded, defaulted,
/// and every bad value named by its field path. Sample partners: [1] fuel, [4] airline,
/// [5] hotel.
@Suite(.timeLimit(.minutes(10))) struct PartnerKindsAndCompaniesTests {
    func decode(partner index: Int = 4, _ fields: [String: Any], companies: [[String: Any]]? = nil) throws -> Result<Programme, ProgrammeError> {
        try decodeEditedSample { object in
            var partners = object["partners"] as! [[String: Any]]
            partners[index].merge(fields) { _, new in new }
            object["partners"] = partners
            if let companies { object["companies"] = companies }
        }
    }

    func problems(partner index: Int = 4, _ fields: [String: Any], companies: [[String: Any]]? = nil) throws -> [String] {
        switch try decode(partner: index, fields, companies: companies) {
        case .success: return []
        case .failure(let error): return error.problems.map { "\($0.field): \($0.reason)" }
        }
    }

    static var acme: [String: Any] {
        [
            "id": "acme", "name": "Acme Ltd", "account_member_id": "co-acme", "partners": ["hotel"], "share_bp": 1_000,
            "employees": ["m-1", "m-2"], "authorised_users": ["u-1"],
        ]
    }

    func company(_ edit: [String: Any]) -> [[String: Any]] {
        [Self.acme.merging(edit) { _, new in new }]
    }

    @Test func kindsDecodeWithMerchantByDefault() throws {
        let programme = try decode(["kind": "exchange", "exchange": ["block_points": 1_000, "miles_per_block": 400, "unit": "miles"]]).get()
        let airline = try #require(programme.partner("airline"))
        #expect(airline.kind == .exchange && airline.exchange == ExchangeTerms(blockPoints: 1_000, milesPerBlock: 400, unit: "miles"))
        #expect(airline.exchange?.miles(forPoints: 3_000) == 1_200 && airline.exchange?.miles(forPoints: 2_500) == nil)
        #expect(programme.partner("fuel")?.kind == .merchant && programme.partner("fuel")?.exchange == nil)
        #expect(try decode(partner: 1, ["kind": "catalogue"]).get().partner("fuel")?.kind == .catalogue)
        // The unit defaults to miles.
        #expect(
            try decode(["kind": "exchange", "exchange": ["block_points": 10, "miles_per_block": 1]]).get().partner("airline")?.exchange?.unit
                == "miles")
    }

    @Test func badKindsAreNamed() throws {
        #expect(try problems(["kind": "bank"]) == ["partners[4].kind: must be \"merchant\", \"catalogue\" or \"exchange\", got \"bank\""])
        #expect(
            try problems(["kind": "exchange"]) == ["partners[4].exchange: is missing: an exchange partner needs its block_points and miles_per_block"]
        )
        #expect(
            try problems(["exchange": ["block_points": 1_000, "miles_per_block": 400]]) == [
                "partners[4].exchange: is only for a partner of kind \"exchange\" (this one is \"merchant\")"
            ])
        #expect(
            try problems(["kind": "exchange", "exchange": ["block_points": 0, "miles_per_block": 0, "unit": "Miles!"]]) == [
                "partners[4].exchange.block_points: must be in 1...10^12, got 0",
                "partners[4].exchange.miles_per_block: must be in 1...1000000, got 0",
                "partners[4].exchange.unit: must be 1 to 16 lowercase letters or _, got \"Miles!\"",
            ])
        #expect(try problems(["kind": "exchange", "exchange": ["miles_per_block": 4]]) == ["partners[4].exchange.block_points: is missing"])
        // A misspelt key is reported like any other.
        #expect(
            try problems(["kind": "exchange", "exchange": ["block_points": 10, "miles_per_block": 4, "mile_per_block": 4]]).contains {
                $0.hasPrefix("partners[4].exchange.mile_per_block: is not a field")
            })
    }

    @Test func companiesDecode() throws {
        let programme = try decode(
            [:],
            companies: [
                Self.acme,
                [
                    "id": "tour", "name": "Tour SA", "account_member_id": "co-tour", "partners": ["hotel", "airline"], "mode": "whole_booking",
                    "employees": ["m-9"],
                ],
            ]
        ).get()
        let acme = try #require(programme.companies.company(id: "acme"))
        #expect(acme.mode == .share && acme.shareBasisPoints == 1_000 && acme.employees == ["m-1", "m-2"] && acme.authorisedUsers == ["u-1"])
        #expect(acme.accountPartMinor(of: 12_345) == 1_234)
        #expect(programme.companies.company(accountMemberId: "co-tour")?.mode == .wholeBooking)
        #expect(programme.companies.company(accountMemberId: "co-tour")?.accountPartMinor(of: 12_345) == 12_345)
        #expect(programme.companies.company(id: "nope") == nil)
        #expect(try decode([:]).get().companies.isEmpty)
    }

    @Test func badCompaniesAreNamed() throws {
        #expect(
            try problems([:], companies: company(["share_bp": 0])) == [
                "companies[0].share_bp: must be in 1...10000 bp (10000 = all of each purchase), got 0"
            ])
        #expect(
            try problems([:], companies: company(["mode": "group"])) == ["companies[0].mode: must be \"share\" or \"whole_booking\", got \"group\""])
        #expect(
            try problems([:], companies: company(["mode": "whole_booking"])) == [
                "companies[0].share_bp: is only for mode \"share\": a whole booking credits the company with all of it"
            ])
        #expect(
            try problems([:], companies: company(["partners": ["spa"]])) == ["companies[0].partners[0]: \"spa\" is not a partner of this programme"])
        #expect(
            try problems(partner: 5, ["kind": "catalogue"], companies: company([:])) == [
                "companies[0].partners[0]: \"hotel\" is a catalogue partner: it issues no points to share"
            ])
        #expect(try problems([:], companies: company(["employees": ["m-1", "m-1"]])) == ["companies[0].employees[1]: \"m-1\" is listed twice"])
        #expect(
            try problems([:], companies: company(["employees": ["co-acme"]])) == [
                "companies[0].account_member_id: \"co-acme\" is also listed as an employee: an account cannot earn on itself"
            ])
        #expect(try problems([:], companies: [Self.acme, Self.acme]).contains("companies[1].id: \"acme\" is already used by companies[0]"))
        var missing = Self.acme
        missing["account_member_id"] = nil
        #expect(try problems([:], companies: [missing]).first == "companies[0].account_member_id: is missing")
        #expect(try problems([:], companies: company(["employes": ["m-3"]])).contains { $0.hasPrefix("companies[0].employes: is not a field") })
    }
}
