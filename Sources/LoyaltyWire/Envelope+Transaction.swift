import Programme

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
