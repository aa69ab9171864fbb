import CLoyaltyPOS
import Programme
import Testing

/// Invalid input is refused locally with a message naming the field. (That it also
/// publishes nothing is checked on the mock cluster in `MockClusterTests`.)
@Suite(.timeLimit(.minutes(10)))
struct InvalidInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let transaction: Transaction
        let field: String
        var testDescription: String { "\(field) in \(transaction.body)" }
    }

    static func accrual(member: String = "member-1", amountMinor: Int64 = 100, currency: String = "EUR") -> Transaction {
        Transaction(
            partnerId: "pharmacy", partnerTxnId: "t-1", memberId: member, eventTimeMilliseconds: 1_767_225_600_000,
            body: .accrual(amountMinor: amountMinor, currency: currency, category: ""))
    }

    static func with(_ body: Transaction.Body, partnerTxnId: String = "t-1", time: Int64 = 1) -> Transaction {
        Transaction(partnerId: "pharmacy", partnerTxnId: partnerTxnId, memberId: "member-1", eventTimeMilliseconds: time, body: body)
    }

    /// The four inputs the brief names, and the other rules of the same kind.
    static let required: [Case] = [
        Case(transaction: accrual(member: ""), field: "member_id"),
        Case(transaction: accrual(amountMinor: 0), field: "amount_minor"),
        Case(transaction: accrual(amountMinor: 1_000_000_000_001), field: "amount_minor"),
        Case(transaction: accrual(currency: "eur"), field: "currency"),
    ]
    static let more: [Case] = [
        Case(transaction: accrual(amountMinor: -5), field: "amount_minor"),
        Case(transaction: accrual(currency: "EURO"), field: "currency"),
        Case(transaction: accrual(currency: ""), field: "currency"),
        Case(transaction: accrual(member: String(repeating: "m", count: 129)), field: "member_id"),
        Case(transaction: accrual(member: String(repeating: "ж", count: 65)), field: "member_id"),  // 130 bytes
        Case(transaction: with(.redemption(points: 0)), field: "points"),
        Case(transaction: with(.redemption(points: 1_000_000_000_001)), field: "points"),
        Case(transaction: with(.redemption(points: 1), partnerTxnId: ""), field: "partner_txn_id"),
        Case(transaction: with(.redemption(points: 1), time: 0), field: "occurred_at_ms"),
        Case(transaction: with(.refund(originalPartnerTxnId: "", amountMinor: 1, currency: "EUR")), field: "original_partner_txn_id"),
        Case(transaction: with(.refund(originalPartnerTxnId: "a", amountMinor: 1, currency: "E1R")), field: "currency"),
        Case(transaction: with(.cancel(originalPartnerTxnId: "")), field: "original_partner_txn_id"),
    ]

    @Test(arguments: InvalidInputTests.required + InvalidInputTests.more)
    func refusedWithTheFieldNamed(_ c: Case) {
        let result = CSDK.encode(c.transaction)
        let failure = result.failure
        #expect(failure?.code == Int(LOYALTY_POS_EINVAL))
        #expect(failure?.field == c.field, "message: \(failure?.message ?? "none")")
    }

    @Test func messagesSayWhatIsWrong() {
        #expect(CSDK.encode(Self.accrual(member: "")).failure?.message == "member_id: is required and empty")
        #expect(CSDK.encode(Self.accrual(amountMinor: 0)).failure?.message == "amount_minor: must be > 0, got 0")
        #expect(
            CSDK.encode(Self.accrual(amountMinor: 1_000_000_000_001)).failure?.message
                == "amount_minor: must be <= 1000000000000 (10^12), got 1000000000001")
        #expect(
            CSDK.encode(Self.accrual(currency: "eur")).failure?.message
                == "currency: must be 3 uppercase letters (ISO 4217, e.g. \"EUR\"), got \"eur\"")
    }

    @Test func invalidUTF8AndNullAreRefused() {
        let invalid: [CChar] = [0x41, CChar(bitPattern: 0xFF), 0x42, 0]
        let (result, message) = CSDK.call { errbuf, errlen in
            invalid.withUnsafeBufferPointer { member in
                loyalty_pos_encode_redemption("pharmacy", "t-1", member.baseAddress, 1, 5, nil, 0, errbuf, errlen)
            }
        }
        #expect(result == Int(LOYALTY_POS_EINVAL))
        #expect(message == "member_id: is not valid UTF-8 (bad byte 0xFF at offset 1)")

        let (nullResult, nullMessage) = CSDK.call { loyalty_pos_encode_cancel("pharmacy", "t-1", "m", 1, nil, nil, 0, $0, $1) }
        #expect(nullResult == Int(LOYALTY_POS_EINVAL))
        #expect(nullMessage == "original_partner_txn_id: is required and NULL")
    }
}
