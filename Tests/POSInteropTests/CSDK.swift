import CLoyaltyPOS
import Foundation
import Programme

/// A failed C call: its LOYALTY_POS_E* code and the message it wrote.
struct CFailure: Error, Equatable, CustomStringConvertible {
    let code: Int
    let message: String

    var description: String { "\(code): \(message)" }

    /// The field the message names ("member_id: is required and empty" -> "member_id").
    var field: String { String(message.prefix { $0 != ":" }) }
}

/// Swift-side access to the C SDK's pure functions, in terms of the domain `Transaction`.
enum CSDK {
    static let errorCapacity = 512

    /// Runs a C call that takes (errbuf, errlen) and returns a code or a length.
    static func call(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int) -> (result: Int, message: String) {
        var error = [CChar](repeating: 0, count: errorCapacity)
        let result = error.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        let message = error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (result, message)
    }

    /// Encodes with the C library; `partnerId` etc. come from the transaction.
    static func encode(_ t: Transaction) -> Result<[UInt8], CFailure> {
        var buffer = [UInt8](repeating: 0, count: Int(LOYALTY_POS_MAX_ENVELOPE_BYTES))
        let (length, message) = buffer.withUnsafeMutableBufferPointer { out in
            call { errbuf, errlen in
                switch t.body {
                case .accrual(let amountMinor, let currency, let category):
                    return loyalty_pos_encode_accrual(
                        t.partnerId, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, amountMinor,
                        currency, category, out.baseAddress, out.count, errbuf, errlen)
                case .redemption(let points):
                    return loyalty_pos_encode_redemption(
                        t.partnerId, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, points,
                        out.baseAddress, out.count, errbuf, errlen)
                case .refund(let original, let amountMinor, let currency):
                    return loyalty_pos_encode_refund(
                        t.partnerId, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, original,
                        amountMinor, currency, out.baseAddress, out.count, errbuf, errlen)
                case .cancel(let original):
                    return loyalty_pos_encode_cancel(
                        t.partnerId, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, original,
                        out.baseAddress, out.count, errbuf, errlen)
                case .card:
                    // The C SDK sends purchases and reversals; card operations go through the gateway.
                    return Int(LOYALTY_POS_EINVAL)
                }
            }
        }
        guard length >= 0 else { return .failure(CFailure(code: length, message: message)) }
        return .success(Array(buffer.prefix(length)))
    }

    /// Decodes with the C library's summary helper.
    static func decode(_ bytes: [UInt8]) -> Result<loyalty_pos_summary_t, CFailure> {
        var summary = loyalty_pos_summary_t()
        let (code, message) = bytes.withUnsafeBufferPointer { input in
            call { errbuf, errlen in
                Int(loyalty_pos_decode_summary(input.baseAddress, input.count, &summary, errbuf, errlen))
            }
        }
        guard code == LOYALTY_POS_OK else { return .failure(CFailure(code: code, message: message)) }
        return .success(summary)
    }

    /// The domain transaction a summary describes (nil for barriers and inquiries).
    static func transaction(_ s: loyalty_pos_summary_t) -> Transaction? {
        let body: Transaction.Body
        switch s.kind {
        case LOYALTY_POS_KIND_ACCRUAL:
            body = .accrual(amountMinor: s.amount_minor, currency: text(s.currency), category: text(s.category))
        case LOYALTY_POS_KIND_REDEMPTION:
            body = .redemption(points: s.points)
        case LOYALTY_POS_KIND_REFUND:
            body = .refund(
                originalPartnerTxnId: text(s.original_partner_txn_id), amountMinor: s.amount_minor,
                currency: text(s.currency))
        case LOYALTY_POS_KIND_CANCEL:
            body = .cancel(originalPartnerTxnId: text(s.original_partner_txn_id))
        default:
            return nil
        }
        return Transaction(
            partnerId: text(s.partner_id), partnerTxnId: text(s.partner_txn_id), memberId: text(s.member_id),
            eventTimeMilliseconds: s.occurred_at_ms, body: body)
    }

    /// A NUL-terminated fixed-size C char array (imported as a tuple) as a String.
    static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
