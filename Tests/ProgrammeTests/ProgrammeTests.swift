import Foundation
import Programme
import Testing

@Suite(.timeLimit(.minutes(10)))
struct ProgrammeValidationTests {
    /// The sample as a mutable JSON object, to break one field at a time.
    func sampleObject() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(Programme.sampleJSON.utf8)) as? [String: Any])
    }

    func problems(_ object: [String: Any]) throws -> ProgrammeError? {
        let data = try JSONSerialization.data(withJSONObject: object)
        do {
            _ = try Programme.decode(jsonData: data)
            return nil
        } catch {
            return error
        }
    }

    func editPartner(_ object: inout [String: Any], _ index: Int, _ edit: (inout [String: Any]) -> Void) {
        var partners = object["partners"] as! [[String: Any]]
        edit(&partners[index])
        object["partners"] = partners
    }

    @Test func sampleValidates() throws {
        let programme = Programme.sample
        #expect(programme.partners.count == 8)
        #expect(programme.partners.map(\.id) == programme.partners.map(\.id).sorted())
        #expect(programme.operatorId == "operator")
        #expect(programme.earnBasisPoints(partnerId: "pharmacy", category: "pharmacy") == 600)
        #expect(programme.earnBasisPoints(partnerId: "pharmacy", category: "toys") == 300)
        #expect(programme.earnBasisPoints(partnerId: "nobody", category: "toys") == nil)
        #expect(programme.operatorFeeBasisPoints(partnerId: "pharmacy") == 150)
        #expect(programme.partner("hotel")?.name == "Harbour Hotels Group")
        #expect(programme.partner("operator") == nil)
        try programme.validate()
    }

    @Test func loadsFromFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("programme-\(UUID()).json").path
        try Data(Programme.sampleJSON.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Programme.load(path: path) == Programme.sample)
        #expect(throws: ProgrammeError.self) { try Programme.load(path: path + ".missing") }
    }

    @Test func rateBelowCategoryFloorNamesFieldAndFloor() throws {
        var object = try sampleObject()
        editPartner(&object, 1) { $0["earn_bp"] = ["default": 100, "categories": ["fuel": 150]] }
        let error = try #require(try problems(object))
        #expect(
            error.problems.contains {
                $0.field == "partners[1].earn_bp.categories.fuel"
                    && $0.reason == "150 bp is below the operator floor of 200 bp for category \"fuel\""
            })
    }

    /// A category key no transaction could carry (FieldLimits) would be a rate nobody earns.
    @Test func categoryKeysAreOnesATransactionCanCarry() throws {
        var object = try sampleObject()
        let long = String(repeating: "c", count: 65)
        editPartner(&object, 1) { $0["earn_bp"] = ["default": 300, "categories": ["fuel\u{1}": 400, long: 400, "": 400]] }
        var floors = object["floors"] as! [String: Any]
        floors["categories"] = ["caf\u{E9}": 300]
        object["floors"] = floors
        let error = try #require(try problems(object))
        let categories = error.problems.filter { $0.field == "partners[1].earn_bp.categories" }.map(\.reason)
        #expect(categories.contains { $0.contains("empty category key") })
        #expect(categories.contains { $0.contains("byte 4 is 0x01") })
        #expect(categories.contains { $0.contains("longer than 64 bytes (65)") })
        #expect(error.problems.contains { $0.field == "floors.categories" && $0.reason.contains("byte 3 is 0xC3") })
        // The sample's own categories pass.
        #expect(try problems(try sampleObject()) == nil)
    }

    @Test func defaultRateBelowDefaultFloor() throws {
        var object = try sampleObject()
        editPartner(&object, 3) { $0["earn_bp"] = ["default": 50] }
        let error = try #require(try problems(object))
        #expect(error.mentions("partners[3].earn_bp.default"))
    }

    @Test func collectsEveryProblem() throws {
        var object = try sampleObject()
        object["currency"] = "eur"
        object["currency_exponent"] = 5
        object["point_value_minor"] = 0
        object["expiry_months"] = 601
        editPartner(&object, 0) {
            $0["iban"] = "DE00370400440532013001"; $0["operator_fee_bp"] = 10_001
        }
        editPartner(&object, 1) {
            $0["id"] = "pharmacy"; $0["bic"] = "12ABDEFF"
        }
        editPartner(&object, 2) { $0["id"] = "operator" }
        editPartner(&object, 4) { $0["id"] = "Air Line" }
        editPartner(&object, 5) { $0.removeValue(forKey: "name") }
        let error = try #require(try problems(object))
        for field in [
            "currency", "currency_exponent", "point_value_minor", "expiry_months",
            "partners[0].iban", "partners[0].operator_fee_bp", "partners[1].id", "partners[1].bic",
            "partners[2].id", "partners[4].id", "partners[5].name",
        ] {
            #expect(error.mentions(field), "expected a problem for \(field) in \(error)")
        }
        #expect(error.problems.contains { $0.field == "partners[0].iban" && $0.reason.contains("mod-97") })
        #expect(error.problems.contains { $0.field == "partners[1].id" && $0.reason.contains("already used") })
        #expect(error.description.contains("partners[2].id"))
    }

    @Test func malformedJSONIsAProblemNotACrash() throws {
        #expect(throws: ProgrammeError.self) { try Programme.decode(jsonData: Data("{\"currency\": 3}".utf8)) }
        #expect(throws: ProgrammeError.self) { try Programme.decode(jsonData: Data("not json".utf8)) }
    }

    @Test func shapes() {
        #expect(Programme.ibanProblem("DE89370400440532013000") == nil)
        #expect(Programme.ibanProblem("GB82WEST12345698765432") == nil)
        #expect(Programme.ibanProblem("GB82WEST12345698765433") != nil)
        #expect(Programme.ibanProblem("DE89") != nil)
        #expect(Programme.isBIC("COBADEFFXXX"))
        #expect(Programme.isBIC("ABNANL2A"))
        #expect(!Programme.isBIC("COBADEF"))
        #expect(!Programme.isBIC("C0BADEFF"))
        #expect(Programme.isIdentifier("a"))
        #expect(Programme.isIdentifier("fuel_2-x"))
        #expect(!Programme.isIdentifier("_fuel"))
        #expect(!Programme.isIdentifier(String(repeating: "a", count: 33)))
        #expect(!Programme.isIdentifier(""))
    }
}

@Suite(.timeLimit(.minutes(10)))
struct ProgrammeArithmeticTests {
    static let day: Int64 = 86_400_000

    @Test func pointsRoundDown() {
        // 12.34 EUR at 600 bp, 1 minor unit per point: 1234 × 600 / 10000 = 74.04 → 74
        #expect(Programme.points(amountMinor: 1234, earnBasisPoints: 600, pointValueMinor: 1) == 74)
        // 20 kopecks per point: 99_999 × 300 / 10000 / 20 = 149.99 → 149
        #expect(Programme.points(amountMinor: 99_999, earnBasisPoints: 300, pointValueMinor: 20) == 149)
        // tier 150 %: 1000 × 500 × 150 / (10000 × 100) = 75
        #expect(Programme.points(amountMinor: 1000, earnBasisPoints: 500, tierPercent: 150, pointValueMinor: 1) == 75)
        #expect(Programme.points(amountMinor: 33, earnBasisPoints: 300, pointValueMinor: 1) == 0)
        #expect(Programme.sample.points(amountMinor: 10_000, partnerId: "pharmacy", category: "pharmacy") == 600)
    }

    @Test func feeRoundsDown() {
        #expect(Programme.fee(amountMinor: 1234, feeBasisPoints: 150) == 18)  // 18.51
        #expect(Programme.fee(amountMinor: 66, feeBasisPoints: 150) == 0)
        #expect(Programme.sample.fee(amountMinor: 10_000, partnerId: "pharmacy") == 150)
    }

    @Test func overflowIsNilNotATrap() {
        // Int64.max × 10000 overflows Int64 but not Int128; the quotient still fits.
        #expect(Programme.fee(amountMinor: .max, feeBasisPoints: 10_000) == .max)
        #expect(Programme.points(amountMinor: .max, earnBasisPoints: 10_000, tierPercent: 200, pointValueMinor: 1) == nil)
        #expect(Programme.proportion(.max, part: 3, whole: 2) == nil)
        #expect(Programme.proportion(10, part: 1, whole: 3) == 3)
        #expect(Programme.points(amountMinor: -1, earnBasisPoints: 100, pointValueMinor: 1) == nil)
    }

    @Test func civilDateRoundTrip() {
        #expect(CivilTime.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilTime.days(year: 2000, month: 3, day: 1) == 11_017)
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let c = CivilTime.civil(days: days)
            #expect(CivilTime.days(year: c.year, month: c.month, day: c.day) == days)
        }
    }

    func millis(_ y: Int64, _ m: Int64, _ d: Int64, hour: Int64 = 0, minute: Int64 = 0) -> Int64 {
        CivilTime.days(year: y, month: m, day: d) * Self.day + (hour * 60 + minute) * 60_000
    }

    @Test func utcTextComesFromIntegerCalendarArithmetic() {
        #expect(CivilTime.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(CivilTime.iso8601(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(CivilTime.iso8601(milliseconds: 1_767_225_599_999) == "2025-12-31T23:59:59.999Z")
        #expect(CivilTime.date(milliseconds: 4_107_542_400_000) == "2100-03-01")
        #expect(CivilTime.iso8601(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(CivilTime.iso8601(milliseconds: 951_782_400_000, fractional: false) == "2000-02-29T00:00:00Z")
    }

    @Test func monthEndClampsSameTimeOfDay() {
        let t = millis(2026, 1, 31, hour: 13, minute: 45) + 123
        #expect(CivilTime.addingMonths(1, toMilliseconds: t) == millis(2026, 2, 28, hour: 13, minute: 45) + 123)
        #expect(
            CivilTime.addingMonths(1, toMilliseconds: millis(2028, 1, 31, hour: 23, minute: 59))
                == millis(2028, 2, 29, hour: 23, minute: 59))
        #expect(CivilTime.addingMonths(24, toMilliseconds: millis(2026, 11, 1)) == millis(2028, 11, 1))
        #expect(CivilTime.addingMonths(12, toMilliseconds: millis(2028, 2, 29)) == millis(2029, 2, 28))
        #expect(CivilTime.addingMonths(3, toMilliseconds: millis(2026, 11, 30, hour: 6)) == millis(2027, 2, 28, hour: 6))
        // Before the epoch the time of day must still be kept.
        #expect(CivilTime.addingMonths(1, toMilliseconds: millis(1969, 12, 31, hour: 5)) == millis(1970, 1, 31, hour: 5))
        #expect(CivilTime.addingMonths(1, toMilliseconds: .max) == nil)
    }

    @Test func expiryUsesProgrammeMonthsAndZeroMeansNever() {
        var programme = Programme.sample
        let t = millis(2026, 11, 30, hour: 10)
        #expect(programme.expiry(eventTimeMilliseconds: t) == millis(2028, 11, 30, hour: 10))
        programme.expiryMonths = 0
        #expect(programme.expiry(eventTimeMilliseconds: t) == Programme.neverExpires)
        #expect(Programme.neverExpires == Int64.max)
    }
}
