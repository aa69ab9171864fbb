import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@Suite("Structural decoding of transactions-topic records", .timeLimit(.minutes(10)))
struct InboundMessageTests {
    private static let accrual = Transaction(
        partnerId: "fuel", partnerTxnId: "f-1", memberId: "m-7", eventTimeMilliseconds: 1_767_225_600_000,
        body: .accrual(amountMinor: 12_345, currency: "EUR", category: "fuel")
    )

    private func bytes(_ envelope: Loyalty_V1_TransactionEnvelope) throws -> [UInt8] {
        try envelope.serializedBytes()
    }

    @Test("every transaction body survives encode -> decode")
    func roundTrip() throws {
        let bodies: [Transaction.Body] = [
            .accrual(amountMinor: 12_345, currency: "EUR", category: "fuel"),
            .redemption(points: 300),
            .refund(originalPartnerTxnId: "f-0", amountMinor: 100, currency: "EUR"),
            .cancel(originalPartnerTxnId: "f-0"),
        ]
        for body in bodies {
            var transaction = Self.accrual
            transaction.body = body
            let decoded = InboundMessage.decode(try bytes(.init(transaction, traceId: "t-1")))
            #expect(decoded == .success(.transaction(transaction, traceId: "t-1")))
        }
    }

    @Test("the gateway's received_at wins over the partner's occurred_at")
    func receivedAtIsLedgerTime() throws {
        var envelope = Loyalty_V1_TransactionEnvelope(Self.accrual)
        envelope.receivedAtMs = 1_800_000_000_000
        guard case .success(.transaction(let transaction, _)) = InboundMessage.decode(try bytes(envelope)) else {
            Issue.record("expected a transaction")
            return
        }
        #expect(transaction.eventTimeMilliseconds == 1_800_000_000_000)
        // The partner's time stays with it: a retry is stamped anew, and the idempotency
        // horizon counts from this one (LedgerRules+Horizon).
        #expect(transaction.details.occurredAtMilliseconds == Self.accrual.eventTimeMilliseconds)
        #expect(transaction.partnerTimeMilliseconds == Self.accrual.eventTimeMilliseconds)
        // Without the stamp the event time is the partner's own; a retro-claim's too.
        let plain = try #require(try Self.transaction(Loyalty_V1_TransactionEnvelope(Self.accrual)))
        #expect(plain.details.occurredAtMilliseconds == 0 && plain.partnerTimeMilliseconds == Self.accrual.eventTimeMilliseconds)
        envelope.accrual.retroClaim = true
        let claim = try #require(try Self.transaction(envelope))
        #expect(claim.details.occurredAtMilliseconds == 0 && claim.eventTimeMilliseconds == Self.accrual.eventTimeMilliseconds)
    }

    /// A gateway's stamp without the partner's time is refused: the horizon would count
    /// from a stamp a retry gets anew (a direct producer's record, not a gateway's).
    @Test func aStampWithoutThePartnersTimeIsRefusedNamingTheField() throws {
        var envelope = Loyalty_V1_TransactionEnvelope(Self.accrual)
        envelope.receivedAtMs = 1_800_000_000_000
        envelope.occurredAtMs = 0
        guard case .failure(let error) = InboundMessage.decode(try bytes(envelope)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.field == "occurred_at_ms" && error.reason.contains("received_at_ms"))
    }

    static func transaction(_ envelope: Loyalty_V1_TransactionEnvelope) throws -> Transaction? {
        guard case .success(.transaction(let transaction, _)) = InboundMessage.decode(try envelope.serializedBytes() as [UInt8]) else {
            return nil
        }
        return transaction
    }

    @Test("barriers and inquiries decode")
    func barrierAndInquiry() throws {
        let barrier = InboundMessage.decode(try bytes(.barrier(cycle: 3, closedAtMilliseconds: 42)))
        #expect(barrier == .success(.barrier(cycle: 3, closedAtMilliseconds: 42, accrualSuspended: [])))
        let inquiry = Loyalty_V1_TransactionEnvelope.with {
            $0.partnerID = "fuel"
            $0.partnerTxnID = "q-1"
            $0.memberID = "m-1"
            $0.occurredAtMs = 5
            $0.receivedAtMs = 7
            $0.inquiry = .init()
        }
        #expect(
            InboundMessage.decode(try bytes(inquiry))
                == .success(.inquiry(partnerId: "fuel", requestId: "q-1", memberId: "m-1", eventTimeMilliseconds: 7, traceId: ""))
        )
        // Without a time there is no moment to answer for (expired lots depend on it).
        var timeless = inquiry
        timeless.occurredAtMs = 0
        timeless.receivedAtMs = 0
        #expect(
            InboundMessage.decode(try bytes(timeless))
                == .failure(WireError(field: "occurred_at_ms", reason: "must be set (UTC milliseconds since 1970), got 0")))
    }

    @Test(
        "structural faults name the field",
        arguments: [
            "partner_id", "partner_txn_id", "member_id", "occurred_at_ms", "body",
            "reversal.kind", "reversal.original_partner_txn_id", "barrier.cycle",
        ])
    func faults(field: String) throws {
        var envelope = Loyalty_V1_TransactionEnvelope(Self.accrual)
        switch field {
        case "partner_id": envelope.partnerID = ""
        case "partner_txn_id": envelope.partnerTxnID = ""
        case "member_id": envelope.memberID = String(repeating: "x", count: 129)
        case "occurred_at_ms": envelope.occurredAtMs = 0
        case "body": envelope.body = nil
        case "reversal.kind": envelope.reversal = .with { $0.originalPartnerTxnID = "x" }
        case "reversal.original_partner_txn_id": envelope.reversal = .with { $0.kind = .cancel }
        default: envelope.barrier = .with { $0.cycle = 0 }
        }
        guard case .failure(let error) = InboundMessage.decode(try bytes(envelope)) else {
            Issue.record("expected a failure for \(field)")
            return
        }
        #expect(error.field == field)
        #expect(!error.reason.isEmpty)
    }

    @Test(
        "every text field is held to FieldLimits, naming the field",
        arguments: [
            "partner_id", "partner_txn_id", "member_id", "trace_id", "accrual.currency", "accrual.category",
            "reversal.original_partner_txn_id", "reversal.currency",
        ])
    func limits(field: String) throws {
        let tooLong = String(repeating: "x", count: 129)
        // Each field twice: too long (or the wrong shape), and a byte outside its alphabet.
        var envelopes = [Loyalty_V1_TransactionEnvelope(Self.accrual, traceId: "t-1"), .init(Self.accrual, traceId: "t-1")]
        let refund = Loyalty_V1_Reversal.with {
            $0.kind = .refund
            $0.originalPartnerTxnID = "f-0"
            $0.amountMinor = 1
            $0.currency = "EUR"
        }
        switch field {
        case "partner_id": (envelopes[0].partnerID, envelopes[1].partnerID) = (tooLong, "fu\u{0}el")
        case "partner_txn_id": (envelopes[0].partnerTxnID, envelopes[1].partnerTxnID) = (tooLong, "f 1")
        case "member_id": (envelopes[0].memberID, envelopes[1].memberID) = (tooLong, "m-\u{1F600}")
        case "trace_id": (envelopes[0].traceID, envelopes[1].traceID) = (String(repeating: "t", count: 65), "t\n1")
        case "accrual.currency": (envelopes[0].accrual.currency, envelopes[1].accrual.currency) = ("EURO", "eur")
        case "accrual.category": (envelopes[0].accrual.category, envelopes[1].accrual.category) = (String(repeating: "c", count: 65), "fu\u{7}el")
        case "reversal.original_partner_txn_id":
            envelopes[0].reversal = refund
            envelopes[0].reversal.originalPartnerTxnID = tooLong
            envelopes[1].reversal = refund
            envelopes[1].reversal.originalPartnerTxnID = "f\u{85}0"
        default:
            envelopes[0].reversal = refund
            envelopes[0].reversal.currency = "EUROS"
            envelopes[1].reversal = .with {
                $0.kind = .cancel
                $0.originalPartnerTxnID = "r-0"
                $0.currency = "E\u{0}R"
            }
        }
        for envelope in envelopes {
            guard case .failure(let error) = InboundMessage.decode(try bytes(envelope)) else {
                Issue.record("expected a failure for \(field)")
                continue
            }
            #expect(error.field == field)
            #expect(error.reason.utf8.count < 200)
        }
    }

    @Test("the widest valid record decodes")
    func widest() throws {
        let id = String(repeating: "~", count: FieldLimits.maxIdBytes)
        let transaction = Transaction(
            partnerId: id, partnerTxnId: id, memberId: id, eventTimeMilliseconds: 1,
            body: .accrual(amountMinor: FieldLimits.maxAmount, currency: "XXX", category: String(repeating: " ", count: FieldLimits.maxCategoryBytes))
        )
        let traceId = String(repeating: "!", count: FieldLimits.maxTraceIdBytes)
        #expect(InboundMessage.decode(try bytes(.init(transaction, traceId: traceId))) == .success(.transaction(transaction, traceId: traceId)))
    }

    @Test("random and truncated bytes are refused, never trapped on", .seeded(3))
    func garbage() throws {
        var generator = TestSeed.generator()
        var refused = 0
        for length in 1...200 {
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if case .failure = InboundMessage.decode(garbage) { refused += 1 }
        }
        // A handful of random strings can happen to be valid protobuf with no body; all
        // must still fail the structural check, since a body is required.
        #expect(refused == 200)
        let full = try bytes(.init(Self.accrual))
        let truncated = Array(full.prefix(full.count - 3))
        guard case .failure(let error) = InboundMessage.decode(truncated) else {
            Issue.record("a truncated envelope must not decode")
            return
        }
        #expect(error.field == "record" || error.field == "body" || error.field == "occurred_at_ms")
    }

    @Test("domain outcomes map one to one onto wire reason codes")
    func reasonCodes() {
        let codes = Set(RejectReason.allCases.map { Loyalty_V1_ReasonCode($0).rawValue })
        #expect(codes.count == RejectReason.allCases.count)
        #expect(!codes.contains(0))
    }
}
