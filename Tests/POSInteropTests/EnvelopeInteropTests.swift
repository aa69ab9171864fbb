import CLoyaltyPOS
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

/// The C encoder and the Swift side agree on the wire format, both ways, byte for byte.
@Suite(.timeLimit(.minutes(10)))
struct EnvelopeInteropTests {
    static let examples: [Transaction] = [
        Transaction(
            partnerId: "pharmacy", partnerTxnId: "pos-1-sale", memberId: "member-000042",
            eventTimeMilliseconds: 1_767_225_600_000,
            body: .accrual(amountMinor: 12_990, currency: "EUR", category: "pharmacy")),
        Transaction(
            partnerId: "pharmacy", partnerTxnId: "pos-1-sale-nocat", memberId: "member-000042",
            eventTimeMilliseconds: 1_767_225_600_000,
            body: .accrual(amountMinor: 1, currency: "EUR", category: "")),
        Transaction(
            partnerId: "fuel", partnerTxnId: "pos-2-pay", memberId: "J~rgen|{42}!",
            eventTimeMilliseconds: 1_767_225_600_001, body: .redemption(points: 1_000_000_000_000)),
        Transaction(
            partnerId: "cinema", partnerTxnId: "pos-3-refund", memberId: "member-000042",
            eventTimeMilliseconds: 1_767_225_600_002,
            body: .refund(originalPartnerTxnId: "pos-1-sale", amountMinor: 2_990, currency: "EUR")),
        Transaction(
            partnerId: "hotel", partnerTxnId: "pos-4-cancel", memberId: "member-000042",
            eventTimeMilliseconds: 1_767_225_600_003, body: .cancel(originalPartnerTxnId: "pos-2-pay")),
    ]

    /// One check for both directions, used by the examples and the random loop.
    static func checkRoundTrips(_ transaction: Transaction) throws {
        let swiftBytes: [UInt8] = try Loyalty_V1_TransactionEnvelope(transaction).serializedBytes()
        let cBytes = try CSDK.encode(transaction).get()
        // C -> Swift: the same bytes, the same message, and the ledger's structural decoder
        // accepts it as exactly this transaction.
        #expect(cBytes == swiftBytes, "C and Swift bytes differ for \(transaction)")
        #expect(try Loyalty_V1_TransactionEnvelope(serializedBytes: cBytes) == Loyalty_V1_TransactionEnvelope(transaction))
        #expect(InboundMessage.decode(cBytes) == .success(.transaction(transaction, traceId: "")))
        // Swift -> C.
        let summary = try CSDK.decode(swiftBytes).get()
        #expect(CSDK.transaction(summary) == transaction)
        #expect(CSDK.text(summary.trace_id) == "" && summary.received_at_ms == 0)
    }

    @Test(arguments: EnvelopeInteropTests.examples)
    func everyBodyKindRoundTrips(_ transaction: Transaction) throws {
        try Self.checkRoundTrips(transaction)
    }

    @Test(.seeded(20_261_123)) func randomTransactionsRoundTripBothWays() throws {
        var random = RandomTransactions(seed: TestSeed.value)
        for _ in 0..<400 {
            let transaction = random.transaction()
            try Self.checkRoundTrips(transaction)
        }
    }

    @Test func swiftFieldsTheCEncoderNeverSetsDecodeInC() throws {
        var envelope = Loyalty_V1_TransactionEnvelope(Self.examples[0], traceId: "trace-7")
        envelope.receivedAtMs = 1_767_225_600_500
        let summary = try CSDK.decode(try envelope.serializedBytes()).get()
        #expect(CSDK.text(summary.trace_id) == "trace-7")
        #expect(summary.received_at_ms == 1_767_225_600_500)

        let barrier = try CSDK.decode(try Loyalty_V1_TransactionEnvelope.barrier(cycle: 12, closedAtMilliseconds: 99).serializedBytes()).get()
        #expect(barrier.kind == LOYALTY_POS_KIND_BARRIER && barrier.cycle == 12 && barrier.closed_at_ms == 99)

        let inquiry = Loyalty_V1_TransactionEnvelope.with {
            $0.partnerID = "pharmacy"
            $0.partnerTxnID = "q-1"
            $0.memberID = "m"
            $0.inquiry = .init()
        }
        #expect(try CSDK.decode(try inquiry.serializedBytes()).get().kind == LOYALTY_POS_KIND_INQUIRY)
    }

    @Test func cDecoderRefusesWhatIsNotATransaction() throws {
        let garbage = CSDK.decode([0xFF, 0xFF, 0xFF])
        #expect(garbage.failure?.code == Int(LOYALTY_POS_EDECODE))
        #expect(garbage.failure?.field == "record")

        let noBody = CSDK.decode(try Loyalty_V1_TransactionEnvelope.with { $0.memberID = "m" }.serializedBytes())
        #expect(noBody.failure?.code == Int(LOYALTY_POS_EDECODE))
        #expect(noBody.failure?.field == "body")

        let unspecified = Loyalty_V1_TransactionEnvelope.with { $0.reversal = .with { $0.originalPartnerTxnID = "x" } }
        #expect(CSDK.decode(try unspecified.serializedBytes()).failure?.field == "reversal.kind")

        let tooLong = Loyalty_V1_TransactionEnvelope.with {
            $0.memberID = String(repeating: "m", count: 129)
            $0.redemption = .with { $0.points = 1 }
        }
        let long = CSDK.decode(try tooLong.serializedBytes())
        #expect(long.failure?.code == Int(LOYALTY_POS_ENOSPC))
        #expect(long.failure?.field == "member_id")
    }

    @Test func encoderSaysHowBigTheBufferMustBe() throws {
        let t = Self.examples[0]
        let size = try CSDK.encode(t).get().count
        var small = [UInt8](repeating: 0, count: size - 1)
        let (result, message) = small.withUnsafeMutableBufferPointer { out in
            CSDK.call { loyalty_pos_encode_redemption("p", "t", "m", 1, 1, out.baseAddress, 0, $0, $1) }
        }
        #expect(result == Int(LOYALTY_POS_ENOSPC))
        #expect(message.hasPrefix("buf: needs "))
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
