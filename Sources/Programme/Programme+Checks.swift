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
        // A fixed-price reward may leave its points to the reward's price (0).
        let rewardPrice = !transaction.details.rewardId.isEmpty
        for (field, value) in transaction.body.amounts where !FieldLimits.amountRange.contains(value) && !(rewardPrice && value == 0) {
            problems.append((field, "must be in 1...10^12, got \(value)"))
        }
        if let (field, value) = transaction.body.currency, value != currency {
            problems.append((field, "must be the programme currency \(currency), got \(value.isEmpty ? "nothing" : "\"\(value)\"")"))
        }
        return problems
    }
}
