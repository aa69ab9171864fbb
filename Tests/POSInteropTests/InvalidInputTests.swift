import CLoyaltyPOS
import Foundation
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
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
        // The id alphabet (visible ASCII) and the category's (printable ASCII), and their sizes.
        Case(transaction: accrual(member: "member 1"), field: "member_id"),
        Case(transaction: accrual(member: "member\t1"), field: "member_id"),
        Case(transaction: accrual(member: "m\u{7F}"), field: "member_id"),
        Case(transaction: accrual(member: "Jürgen"), field: "member_id"),
        Case(transaction: with(.redemption(points: 1), partnerTxnId: "t\n1"), field: "partner_txn_id"),
        Case(transaction: with(.cancel(originalPartnerTxnId: "r-\u{1}")), field: "original_partner_txn_id"),
        Case(transaction: with(.cancel(originalPartnerTxnId: String(repeating: "r", count: 129))), field: "original_partner_txn_id"),
        Case(transaction: with(.accrual(amountMinor: 1, currency: "EUR", category: String(repeating: "c", count: 65))), field: "category"),
        Case(transaction: with(.accrual(amountMinor: 1, currency: "EUR", category: "fuel\r")), field: "category"),
        Case(transaction: with(.accrual(amountMinor: 1, currency: "EUR", category: "café")), field: "category"),
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

    @Test func nonASCIIAndNullAreRefused() {
        let invalid: [CChar] = [0x41, CChar(bitPattern: 0xFF), 0x42, 0]
        let (result, message) = CSDK.call { errbuf, errlen in
            invalid.withUnsafeBufferPointer { member in
                loyalty_pos_encode_redemption("pharmacy", "t-1", member.baseAddress, 1, 5, nil, 0, errbuf, errlen)
            }
        }
        #expect(result == Int(LOYALTY_POS_EINVAL))
        #expect(message == "member_id: byte 1 is 0xFF; allowed is visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)")

        let (nullResult, nullMessage) = CSDK.call { loyalty_pos_encode_cancel("pharmacy", "t-1", "m", 1, nil, nil, 0, $0, $1) }
        #expect(nullResult == Int(LOYALTY_POS_EINVAL))
        #expect(nullMessage == "original_partner_txn_id: is required and NULL")
    }

    /// The header's documented limits are the clearing house's (`FieldLimits`).
    @Test func headerLimitsEqualFieldLimits() {
        #expect(Int(LOYALTY_POS_ID_MAX_BYTES) == FieldLimits.maxIdBytes)
        #expect(Int(LOYALTY_POS_TRACE_ID_MAX_BYTES) == FieldLimits.maxTraceIdBytes)
        #expect(Int(LOYALTY_POS_CATEGORY_MAX_BYTES) == FieldLimits.maxCategoryBytes)
        #expect(Int(LOYALTY_POS_CURRENCY_BYTES) == FieldLimits.currencyBytes)
        #expect(Int64(LOYALTY_POS_AMOUNT_MAX) == FieldLimits.maxAmount)
        for byte in UInt8.min...UInt8.max {
            let inId = byte >= UInt8(LOYALTY_POS_ID_BYTE_MIN) && byte <= UInt8(LOYALTY_POS_ID_BYTE_MAX)
            let inCategory = byte >= UInt8(LOYALTY_POS_CATEGORY_BYTE_MIN) && byte <= UInt8(LOYALTY_POS_CATEGORY_BYTE_MAX)
            #expect(inId == FieldLimits.isIdByte(byte), "\(byte)")
            #expect(inCategory == FieldLimits.isCategoryByte(byte), "\(byte)")
        }
    }

    /// The SDK refuses exactly what the worker's decoder refuses, with the same message:
    /// random ids and categories near the limits, over every byte but NUL (a C string
    /// cannot hold one).
    @Test(.seeded(9)) func sdkAndDecoderAgreeOnEveryField() throws {
        var random = TestSeed.generator()
        func text(_ maxBytes: Int) -> String {
            let count = Int.random(in: 0...(maxBytes + 2), using: &random)
            let bytes = (0..<count).map { _ in
                Int.random(in: 0..<8, using: &random) == 0 ? UInt8.random(in: 1...255, using: &random) : UInt8.random(in: 0x21...0x7E, using: &random)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var refused = 0
        for round in 0..<2_000 {
            var transaction = Self.with(.accrual(amountMinor: 5, currency: "EUR", category: ""))
            switch round % 4 {
            case 0: transaction.memberId = text(FieldLimits.maxIdBytes)
            case 1: transaction.partnerTxnId = text(FieldLimits.maxIdBytes)
            case 2: transaction.body = .accrual(amountMinor: 5, currency: "EUR", category: text(FieldLimits.maxCategoryBytes))
            default: transaction.body = .cancel(originalPartnerTxnId: text(FieldLimits.maxIdBytes))
            }
            let envelope = Loyalty_V1_TransactionEnvelope(transaction)
            let decoded = InboundMessage.decode(try envelope.serializedBytes())
            switch (CSDK.encode(transaction), decoded) {
            case (.success(let bytes), .success):
                #expect(bytes == (try envelope.serializedBytes()))
            case (.failure(let sdk), .failure(let wire)):
                refused += 1
                // The SDK names reversal fields without their message's prefix.
                #expect(sdk.message == "\(wire)".replacingOccurrences(of: "reversal.", with: "").replacingOccurrences(of: "accrual.", with: ""))
            case (let sdk, let wire):
                Issue.record("\(transaction): SDK \(sdk), decoder \(wire)")
            }
        }
        #expect(refused > 200 && refused < 1_800)
    }
}
