extension Programme {
    /// The programme's checks of one transaction, before it is published: known partner,
    /// amounts and points in `FieldLimits.amountRange`, the programme currency, and an
    /// event time the expiry calendar can handle. Each problem names the envelope's field
    /// path (`accrual.amount_minor`, `reversal.currency`) and the reason; empty when the
    /// ledger would not reject the transaction for any of these.
    ///
    /// The ledger makes the same checks (REJECTED with a reason); checking first keeps a
    /// careless file from burning transaction ids. A category may be any name within
    /// `FieldLimits`: one the programme does not list earns the partner's default rate.
    public func problems(of transaction: Transaction) -> [(field: String, reason: String)] {
        var problems: [(field: String, reason: String)] = []
        if partner(transaction.partnerId) == nil {
            problems.append(("partner_id", "\"\(transaction.partnerId)\" is not a partner of programme \(version)"))
        }
        if expiry(eventTimeMilliseconds: transaction.eventTimeMilliseconds) == nil {
            problems.append(
                ("occurred_at_ms", "\(transaction.eventTimeMilliseconds) is outside the calendar range the expiry arithmetic handles"))
        }
        switch transaction.body {
        case .accrual(let amountMinor, let currency, _):
            checkAmount(amountMinor, "accrual.amount_minor", &problems)
            checkCurrency(currency, "accrual.currency", &problems)
        case .redemption(let points):
            checkAmount(points, "redemption.points", &problems)
        case .refund(_, let amountMinor, let currency):
            checkAmount(amountMinor, "reversal.amount_minor", &problems)
            checkCurrency(currency, "reversal.currency", &problems)
        case .cancel:
            break
        }
        return problems
    }

    private func checkAmount(_ value: Int64, _ field: String, _ problems: inout [(field: String, reason: String)]) {
        if !FieldLimits.amountRange.contains(value) {
            problems.append((field, "must be in 1...10^12, got \(value)"))
        }
    }

    private func checkCurrency(_ value: String, _ field: String, _ problems: inout [(field: String, reason: String)]) {
        if value != currency {
            problems.append((field, "must be the programme currency \(currency), got \(value.isEmpty ? "nothing" : "\"\(value)\"")"))
        }
    }
}
