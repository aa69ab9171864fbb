import Programme
import SwiftProtobuf

// Both directions of the mapping between a domain transaction's body and the envelope's,
// side by side: a new kind of transaction changes this file once.

extension Loyalty_V1_TransactionEnvelope {
    /// The envelope a partner (or the demo feeder) sends for a domain transaction.
    /// `occurred_at_ms` carries the transaction's event time; `received_at_ms` is left
    /// for the gateway to stamp.
    public init(_ transaction: Transaction, traceId: String = "") {
        self.init()
        partnerID = transaction.partnerId
        partnerTxnID = transaction.partnerTxnId
        memberID = transaction.memberId
        occurredAtMs = transaction.eventTimeMilliseconds
        traceID = traceId
        switch transaction.body {
        case .accrual(let amountMinor, let currency, let category):
            accrual = .with {
                $0.amountMinor = amountMinor
                $0.currency = currency
                $0.category = category
            }
        case .redemption(let points):
            redemption = .with { $0.points = points }
        case .refund(let original, let amountMinor, let currency):
            reversal = .with {
                $0.kind = .refund
                $0.originalPartnerTxnID = original
                $0.amountMinor = amountMinor
                $0.currency = currency
            }
        case .cancel(let original):
            reversal = .with {
                $0.kind = .cancel
                $0.originalPartnerTxnID = original
            }
        }
    }

    /// A barrier closing `cycle`, written by the clearing node into every partition.
    public static func barrier(cycle: Int64, closedAtMilliseconds: Int64) -> Self {
        .with {
            $0.barrier = .with {
                $0.cycle = cycle
                $0.closedAtMs = closedAtMilliseconds
            }
        }
    }
}

extension Transaction.Body {
    /// The body of a transaction envelope, its required fields and text limits checked.
    /// (Barriers and inquiries are not transactions: `InboundMessage` takes them first.)
    init(wire body: Loyalty_V1_TransactionEnvelope.OneOf_Body) throws(WireError) {
        switch body {
        case .accrual(let accrual):
            try FieldLimits.checkCurrency(accrual.currency, field: "accrual.currency")
            try FieldLimits.checkCategory(accrual.category, field: "accrual.category")
            self = .accrual(amountMinor: accrual.amountMinor, currency: accrual.currency, category: accrual.category)
        case .redemption(let redemption):
            self = .redemption(points: redemption.points)
        case .reversal(let reversal):
            try FieldLimits.checkId(reversal.originalPartnerTxnID, field: "reversal.original_partner_txn_id")
            try FieldLimits.checkCurrency(reversal.currency, field: "reversal.currency")
            switch reversal.kind {
            case .refund:
                self = .refund(
                    originalPartnerTxnId: reversal.originalPartnerTxnID,
                    amountMinor: reversal.amountMinor,
                    currency: reversal.currency
                )
            case .cancel:
                self = .cancel(originalPartnerTxnId: reversal.originalPartnerTxnID)
            case .unspecified, .UNRECOGNIZED:
                throw WireError(field: "reversal.kind", reason: "must be REFUND or CANCEL, got \(reversal.kind.rawValue)")
            }
        case .barrier, .inquiry:
            preconditionFailure("barrier and inquiry are handled before transaction bodies")
        }
    }
}
