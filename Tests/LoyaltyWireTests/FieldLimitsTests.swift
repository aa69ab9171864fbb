import Programme
import Testing

/// `FieldLimits`: the bounds and alphabets every entry point checks against.
@Suite("Field limits", .timeLimit(.minutes(10)))
struct FieldLimitsTests {
    private func violation(_ check: () throws(FieldLimits.Violation) -> Void) -> FieldLimits.Violation? {
        do {
            try check()
            return nil
        } catch {
            return error
        }
    }

    @Test("ids: 1 to 128 bytes of visible ASCII")
    func ids() {
        let longest = String(repeating: "a", count: FieldLimits.maxIdBytes)
        for id in ["m", "m-000042", "A~!#{}|", longest, "0123e4567-e89b-12d3-a456-426614174000"] {
            #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkId(id, field: "member_id") } == nil, "\(id)")
        }
        let refused: [(String, String)] = [
            ("", "is required and empty"),
            (longest + "a", "is longer than 128 bytes (129)"),
            ("a b", "byte 1 is 0x20; allowed is visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)"),
            ("\u{0}", "byte 0 is 0x00; allowed is visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)"),
            ("m\n", "byte 1 is 0x0A; allowed is visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)"),
            ("m\u{7F}", "byte 1 is 0x7F; allowed is visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)"),
            ("mü", "byte 1 is 0xC3; allowed is visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)"),
        ]
        for (id, reason) in refused {
            let error = violation { () throws(FieldLimits.Violation) in try FieldLimits.checkId(id, field: "member_id") }
            #expect(error == FieldLimits.Violation(field: "member_id", reason: reason))
        }
        // The length is checked first: a long id is not scanned.
        #expect(
            violation { () throws(FieldLimits.Violation) in try FieldLimits.checkId(String(repeating: "ü", count: 100), field: "x") }?.reason
                == "is longer than 128 bytes (200)")
    }

    @Test("trace_id and category are optional and short; currency is three capitals")
    func optionalFields() {
        #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkTraceId("") } == nil)
        #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkTraceId(String(repeating: "f", count: 64)) } == nil)
        #expect(
            violation { () throws(FieldLimits.Violation) in try FieldLimits.checkTraceId(String(repeating: "f", count: 65)) }?.field == "trace_id")
        #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkCategory("home & garden") } == nil)
        #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkCategory("") } == nil)
        #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkCategory("a\tb") }?.reason.hasPrefix("byte 1 is 0x09") == true)
        #expect(
            violation { () throws(FieldLimits.Violation) in try FieldLimits.checkCategory(String(repeating: "c", count: 65)) }?.reason
                == "is longer than 64 bytes (65)")
        for currency in ["", "EUR", "USD"] {
            #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkCurrency(currency) } == nil)
        }
        for currency in ["eur", "EURO", "EU", "E1R", "€", String(repeating: "X", count: 10_000)] {
            let error = violation { () throws(FieldLimits.Violation) in try FieldLimits.checkCurrency(currency, field: "accrual.currency") }
            #expect(error?.field == "accrual.currency")
            // The reason quotes at most a short prefix of the value.
            #expect((error?.reason.utf8.count ?? .max) < 100)
        }
    }

    @Test("amounts: 1...10^12")
    func amounts() {
        for amount: Int64 in [1, 1_000_000_000_000] {
            #expect(violation { () throws(FieldLimits.Violation) in try FieldLimits.checkAmount(amount, field: "points") } == nil)
        }
        for amount: Int64 in [0, -1, 1_000_000_000_001, .min, .max] {
            #expect(
                violation { () throws(FieldLimits.Violation) in try FieldLimits.checkAmount(amount, field: "points") }
                    == FieldLimits.Violation(field: "points", reason: "must be in 1...10^12, got \(amount)"))
        }
    }

    @Test("details are cut at a character boundary")
    func truncation() {
        #expect(FieldLimits.truncated("short") == "short")
        let long = String(repeating: "ü", count: 400)  // 800 bytes
        let cut = FieldLimits.truncated(long)
        #expect(cut.utf8.count <= FieldLimits.maxDetailBytes)
        #expect(cut.hasSuffix("..."))
        #expect(cut.dropLast(3).allSatisfy { $0 == "ü" })
        #expect(FieldLimits.truncated(String(repeating: "a", count: 600), maxBytes: 10) == "aaaaaaa...")
    }
}
