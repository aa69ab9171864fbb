import CLoyaltyPOS
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

/// The C SDK's card variants: the card presented travels as the envelope's card_id, byte
/// for byte as the Swift side encodes it, and a malformed card id is refused naming it.
@Suite(.timeLimit(.minutes(10)))
struct CardSDKTests {
    static func transaction(_ body: Transaction.Body, card: String) -> Transaction {
        var t = Transaction(
            partnerId: "pharmacy", partnerTxnId: "pos-card-1", memberId: "family-17", eventTimeMilliseconds: 1_767_225_600_000,
            body: body)
        t.details.cardId = card
        return t
    }

    /// The C encoding of an accrual or redemption naming `t.details.cardId`.
    static func encode(_ t: Transaction) -> Result<[UInt8], CFailure> {
        var buffer = [UInt8](repeating: 0, count: Int(LOYALTY_POS_MAX_ENVELOPE_BYTES))
        let (length, message) = buffer.withUnsafeMutableBufferPointer { out in
            CSDK.call { errbuf, errlen in
                switch t.body {
                case .accrual(let amountMinor, let currency, let category):
                    return loyalty_pos_encode_accrual_card(
                        t.partnerId, t.partnerTxnId, t.memberId, t.details.cardId, t.eventTimeMilliseconds, amountMinor, currency,
                        category, out.baseAddress, out.count, errbuf, errlen)
                case .redemption(let points):
                    return loyalty_pos_encode_redemption_card(
                        t.partnerId, t.partnerTxnId, t.memberId, t.details.cardId, t.eventTimeMilliseconds, points, out.baseAddress,
                        out.count, errbuf, errlen)
                default:
                    return Int(LOYALTY_POS_EINVAL)
                }
            }
        }
        guard length >= 0 else { return .failure(CFailure(code: length, message: message)) }
        return .success(Array(buffer.prefix(length)))
    }

    @Test(arguments: [Transaction.Body.accrual(amountMinor: 12_990, currency: "EUR", category: "pharmacy"), .redemption(points: 300)])
    func cardTravelsAsCardId(_ body: Transaction.Body) throws {
        let t = Self.transaction(body, card: "card-0042")
        let cBytes = try Self.encode(t).get()
        #expect(cBytes == (try Loyalty_V1_TransactionEnvelope(t).serializedBytes()))
        #expect(InboundMessage.decode(cBytes) == .success(.transaction(t, traceId: "")))
        // No card: the plain envelope, as loyalty_pos_encode_accrual writes it.
        let plain = Self.transaction(body, card: "")
        #expect(try Self.encode(plain).get() == (try CSDK.encode(plain).get()))
    }

    @Test func malformedCardIdIsRefusedNamingIt() {
        let t = Self.transaction(.redemption(points: 300), card: "card 42")
        guard case .failure(let failure) = Self.encode(t) else {
            Issue.record("a card id with a space was encoded")
            return
        }
        #expect(failure.code == Int(LOYALTY_POS_EINVAL) && failure.field == "card_id")
    }
}
