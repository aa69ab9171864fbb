import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@Suite("Card operations and card ids on the wire", .timeLimit(.minutes(10)))
struct CardOperationWireTests {
    private static func operation(_ kind: Transaction.CardOperation.Kind, target: String = "") -> Transaction {
        Transaction(
            partnerId: "bank", partnerTxnId: "op-1", memberId: "family-1", eventTimeMilliseconds: 1_767_225_600_000,
            body: .card(Transaction.CardOperation(kind, cardId: "card-0001", targetMemberId: target)))
    }

    @Test("every card operation and a card id survive encode -> decode, fast path or not")
    func roundTrip() throws {
        var transactions = Transaction.CardOperation.Kind.allCases.map { Self.operation($0, target: $0 == .move ? "family-2" : "") }
        var named = Transaction(
            partnerId: "fuel", partnerTxnId: "f-1", memberId: "family-1", eventTimeMilliseconds: 1_767_225_600_000,
            body: .accrual(amountMinor: 5_000, currency: "EUR", category: "fuel"))
        named.details.cardId = "card-0001"
        transactions.append(named)
        for transaction in transactions {
            let bytes: [UInt8] = try Loyalty_V1_TransactionEnvelope(transaction).serializedBytes()
            for fastPath in [true, false] {
                #expect(InboundMessage.decode(bytes, fastPath: fastPath) == .success(.transaction(transaction, traceId: "")))
            }
        }
    }

    @Test("a card operation without a kind, a card id, or with a stray target names the field")
    func refusals() throws {
        func failure(_ edit: (inout Loyalty_V1_TransactionEnvelope) -> Void) throws -> WireError? {
            var envelope = Loyalty_V1_TransactionEnvelope(Self.operation(.link))
            edit(&envelope)
            guard case .failure(let error) = InboundMessage.decode(try envelope.serializedBytes()) else { return nil }
            return error
        }
        #expect(try failure { $0.card.kind = .unspecified }?.field == "card.kind")
        #expect(try failure { $0.card.cardID = "" }?.field == "card.card_id")
        #expect(try failure { $0.card.cardID = "no spaces allowed" }?.field == "card.card_id")
        #expect(try failure { $0.card.targetMemberID = "family-2" }?.field == "card.target_member_id")
        #expect(try failure { $0.card.kind = .move }?.field == "card.target_member_id")
        #expect(try failure { $0.cardID = "bad card" }?.field == "card_id")
    }
}
