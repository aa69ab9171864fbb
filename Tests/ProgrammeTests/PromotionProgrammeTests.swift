import Foundation
import LoyaltyTesting
import Programme
import Testing

/// `loyalty programme check` on the promotions, redemption rules and claim window: each
/// misconfiguration reported with its field path, a good section read as written.
@Suite(.timeLimit(.minutes(10)))
struct PromotionProgrammeTests {
    func decode(_ edit: (inout [String: Any]) -> Void) throws -> Result<Programme, ProgrammeError> {
        try decodeEditedSample(edit)
    }

    func problems(_ edit: (inout [String: Any]) -> Void) throws -> [String] {
        switch try decode(edit) {
        case .success: return []
        case .failure(let error): return error.problems.map { "\($0.field): \($0.reason)" }
        }
    }

    func promotions(_ entries: [[String: Any]]) throws -> [String] {
        try problems { $0["promotions"] = entries }
    }

    func redemption(_ rules: [String: Any]) throws -> [String] {
        try problems { object in
            var partners = object["partners"] as! [[String: Any]]
            partners[2]["redemption"] = rules
            object["partners"] = partners
        }
    }

    static var retail: [[String: Any]] {
        [
            [
                "id": "fuel-double-march", "kind": "multiplier", "funder": "fuel", "partners": ["fuel"], "from": "2026-03-01",
                "until": "2026-04-01", "multiplier_bp": 20000,
            ],
            ["id": "lens-card", "kind": "stamp_card", "funder": "pharmacy", "partners": ["pharmacy"], "products": ["lens"], "every": 11],
            ["id": "welcome", "kind": "welcome", "funder": "operator", "bonus_points": 500],
            ["id": "refer-a-friend", "kind": "referral", "funder": "operator", "bonus_points": 250, "referrer_points": 250],
            ["id": "laptop", "kind": "bonus", "funder": "eshop", "products": ["laptop"], "min_spend_minor": 50000, "bonus_points": 1000],
            ["id": "cinema-sale", "kind": "exclusion", "partners": ["cinema"], "from": 1_780_000_000_000, "until": "2026-06-15T18:00Z"],
        ]
    }

    @Test func aGoodSectionReadsAsWritten() throws {
        let programme = try decode { $0["promotions"] = Self.retail }.get()
        #expect(programme.promotions.map(\.id) == ["fuel-double-march", "lens-card", "welcome", "refer-a-friend", "laptop", "cinema-sale"])
        let march = programme.promotions[0]
        #expect(march.kind == .multiplier && march.funder == "fuel" && march.multiplierBasisPoints == 20_000)
        #expect(march.fromMilliseconds == 1_772_323_200_000 && march.untilMilliseconds == 1_775_001_600_000)  // 2026-03-01, 2026-04-01 UTC
        #expect(programme.promotions[1].every == 11 && programme.promotions[1].bonusPoints == 0)
        #expect(programme.promotions[5].fromMilliseconds == 1_780_000_000_000 && programme.promotions[5].funder == "")
        #expect(programme.promotions[5].untilMilliseconds == 1_781_546_400_000)  // 2026-06-15 18:00 UTC
        #expect(programme.hasFirstAccrualPromotions)
    }

    @Test func promotionWithoutAFunderOrWithAnUnknownOne() throws {
        #expect(
            try promotions([["id": "w", "kind": "welcome", "bonus_points": 5]]) == [
                "promotions[0].funder: is missing: name the partner or the operator that pays for its points"
            ])
        #expect(
            try promotions([["id": "w", "kind": "welcome", "funder": "fule", "bonus_points": 5]]) == [
                "promotions[0].funder: \"fule\" is neither a partner nor the operator (\"operator\")"
            ])
        #expect(
            try promotions([["id": "s", "kind": "exclusion", "funder": "fuel"]]) == [
                "promotions[0].funder: an exclusion gives no points, so nobody funds it: leave funder out"
            ])
    }

    @Test func fromMustComeBeforeUntilAndTimesMustParse() throws {
        let equal = try promotions([
            ["id": "b", "kind": "bonus", "funder": "fuel", "bonus_points": 5, "from": "2026-03-01", "until": "2026-03-01T00:00:00.000Z"]
        ])
        #expect(equal == ["promotions[0].until: 1772323200000 must be after from 1772323200000 (until is exclusive)"])
        let bad = try promotions([["id": "b", "kind": "bonus", "funder": "fuel", "bonus_points": 5, "from": "2026-02-30"]])
        #expect(bad == ["promotions[0].from: \"2026-02-30\" is not a UTC time: write 2026-03-01, 2026-03-01T06:00Z or milliseconds since 1970"])
    }

    @Test func kindsAndTheirAmounts() throws {
        let found = try promotions([
            ["id": "a", "kind": "double", "funder": "fuel"],
            ["id": "b", "kind": "multiplier", "funder": "fuel", "multiplier_bp": 10000],
            ["id": "c", "kind": "stamp_card", "funder": "fuel", "every": 1],
            ["id": "d", "kind": "bonus", "funder": "fuel", "bonus_points": 0, "every": 3],
            ["id": "e", "kind": "referral", "funder": "fuel"],
            ["id": "a", "kind": "welcome", "funder": "fuel", "bonus_points": 1, "partners": ["nobody"], "products": [""]],
        ])
        for expected in [
            "promotions[0].kind: \"double\" is not a kind of promotion (multiplier, bonus, stamp_card, exclusion, welcome, referral)",
            "promotions[1].multiplier_bp: must be in 10001...100000 bp (20000 = double points), got 10000",
            "promotions[2].every: must be in 2...1000 purchases, got 1",
            "promotions[3].bonus_points: must be in 1...10^12, got 0",
            "promotions[3].every: is not used by a bonus promotion",
            "promotions[4].bonus_points: is missing",
            "promotions[5].id: \"a\" is already used by promotions[0]",
            "promotions[5].partners[0]: \"nobody\" is not a partner of the programme",
            "promotions[5].products[0]: must not be empty",
        ] {
            #expect(found.contains(expected), "missing: \(expected) in \(found)")
        }
    }

    @Test func redemptionRulesAreChecked() throws {
        let found = try redemption([
            "min_points": 0, "max_bill_share_bp": 10001, "point_value_minor": 0,
            "rewards": [["id": "night", "points": 0], ["id": "night", "points": 5], ["points": 5]],
        ])
        for expected in [
            "partners[2].redemption.min_points: must be in 1...10^12 (leave it out for no minimum), got 0",
            "partners[2].redemption.max_bill_share_bp: must be in 1...10000 bp (10000 = the whole bill), got 10001",
            "partners[2].redemption.point_value_minor: must be in 1...1000000, got 0",
            "partners[2].redemption.rewards[0].points: must be in 1...10^12, got 0",
            "partners[2].redemption.rewards[1].id: \"night\" is already used by rewards[0]",
            "partners[2].redemption.rewards[2].id: is missing",
        ] {
            #expect(found.contains(expected), "missing: \(expected) in \(found)")
        }
        let below = try redemption(["min_points": 1000, "rewards": [["id": "mug", "points": 500]]])
        #expect(below == ["partners[2].redemption.rewards[0].points: 500 is below the partner's min_points 1000: it could never be redeemed"])
    }

    @Test func goodRedemptionRulesReadAsWritten() throws {
        let programme = try decode { object in
            var partners = object["partners"] as! [[String: Any]]
            partners[2]["redemption"] = [
                "min_points": 100, "max_bill_share_bp": 5000, "point_value_minor": 3, "rewards": [["id": "popcorn", "points": 400]],
            ]
            object["partners"] = partners
        }.get()
        let id = try #require(
            (JSONSerialization.jsonObject(with: Data(Programme.sampleJSON.utf8)) as? [String: Any]).flatMap {
                ($0["partners"] as? [[String: Any]])?[2]["id"] as? String
            })
        let partner = try #require(programme.partner(id))
        #expect(
            partner.redemption
                == RedemptionRules(minPoints: 100, maxBillShareBasisPoints: 5000, rewards: [.init(id: "popcorn", points: 400)], pointValueMinor: 3))
        #expect(programme.settlementPointValueMinor(partner: partner) == 3)
    }

    @Test func claimWindowWithinTheHorizon() throws {
        #expect(try problems { $0["claim_window_days"] = 0 } == ["claim_window_days: must be in 1...36500 days, got 0"])
        let longer = try problems { object in
            object["claim_window_days"] = 120
            object["idempotency_horizon_days"] = 90
            object["reversal_window_days"] = 90
        }
        #expect(longer == ["claim_window_days: 120 days is longer than idempotency_horizon_days (90): older claims are refused by the horizon"])
        #expect(try problems { $0["claim_window_days"] = 60 }.isEmpty)
    }

    @Test func aRewardRedemptionMayLeaveItsPointsToThePrice() {
        let programme = Programme.sample
        var redemption = Transaction(
            partnerId: "cinema", partnerTxnId: "r1", memberId: "m1", eventTimeMilliseconds: 1_780_000_000_000, body: .redemption(points: 0))
        #expect(programme.problems(of: redemption).map(\.field) == ["redemption.points"])
        redemption.details.rewardId = "popcorn"
        #expect(programme.problems(of: redemption).isEmpty)  // the ledger prices it (or refuses UNKNOWN_REWARD)
    }
}
