import Programme

/// One transaction: dedupe → the rule's inputs from the store → the rule → its effects
/// written → the journal row and the output.
extension Shard {
    func applyTransaction(_ t: Transaction, offset: Int64) throws(LedgerError) -> LedgerOutput {
        let time = t.eventTimeMilliseconds
        // Without a partner_txn_id there is no idempotency key to journal under.
        guard !t.partnerTxnId.isEmpty else {
            store.state.counts.rejected += 1
            let outcome = Outcome.rejected(
                .invalidField, "partner_txn_id: must not be empty", balanceAfter: try store.spendableBalance(t.memberId, at: time))
            return .result(offset: offset, transaction: t, outcome: outcome, original: nil)
        }
        let key = KeyFilter.hash(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId)
        if let original = try store.storedOutcome(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, key: key) {
            store.state.counts.duplicates += 1
            let outcome = Outcome(
                status: .duplicate,
                detail: "partner_txn_id: \"\(t.partnerTxnId)\" of partner \"\(t.partnerId)\" was already applied at offset \(original.offset)",
                pointsDelta: 0, balanceAfter: try store.spendableBalance(t.memberId, at: time))
            return .result(offset: offset, transaction: t, outcome: outcome, original: original.outcome)
        }
        effects.reset()
        var rejection: Rejection?
        do {
            try decide(t, offset: offset)
        } catch {
            switch error {
            case .rejection(let refused): rejection = refused
            case .ledger(let error): throw error
            }
        }
        if let rejection {
            store.state.counts.rejected += 1
            effects.record = JournalRecord(
                kind: t.body.kind,
                outcome: .rejected(rejection.reason, rejection.detail, balanceAfter: try store.spendableBalance(t.memberId, at: time)))
        } else {
            try store.write(effects, memberId: t.memberId, partnerId: t.partnerId, offset: offset)
            store.state.counts.accepted += 1
        }
        try store.journal(t, offset: offset, effects.record, key: key)
        #if DEBUG
            try store.checkMember(t.memberId)
        #endif
        return .result(offset: offset, transaction: t, outcome: effects.record.outcome, original: nil)
    }

    enum RuleError: Error {
        case rejection(Rejection)
        case ledger(LedgerError)
    }

    /// Reads what `t`'s rule needs, in the order its checks need it (a rejection reads
    /// no more than the checks before it), and leaves the rule's decision in `effects`.
    private func decide(_ t: Transaction, offset: Int64) throws(RuleError) {
        do {
            let partner = try rules.partner(of: t)
            let time = t.eventTimeMilliseconds
            let member = try store.memberState(t.memberId)
            switch t.body {
            case .accrual(let amountMinor, let currency, let category):
                let lots = try store.lotsIfNeeded(t.memberId, member, at: time)
                try rules.accrue(
                    t, offset: offset, partner: partner, amountMinor: amountMinor, currency: currency, category: category,
                    member: member, lots: lots, into: &effects)
            case .redemption(let points):
                let due = try store.lotsIfNeeded(t.memberId, member, at: time)
                try rules.checkRedemption(points: points, spendable: LedgerRules.spendable(member, lots: due, at: time))
                rules.redeem(t, points: points, member: member, lots: try store.openLots(t.memberId), into: &effects)
            case .refund(let originalTxnId, let amountMinor, let currency):
                try rules.checkAmount("amount_minor", amountMinor)
                try rules.checkCurrency(currency)
                let original = try findOriginal(t, originalTxnId, expected: .accrual)
                let terms = try rules.refundTerms(original, originalTxnId: originalTxnId, amountMinor: amountMinor)
                let lots = LedgerRules.refundNeedsLots(terms, member: member, at: time) ? try store.openLots(t.memberId) : []
                rules.refund(
                    t, amountMinor: amountMinor, originalTxnId: originalTxnId, original: original, terms: terms, member: member,
                    lots: lots, into: &effects)
            case .cancel(let originalTxnId):
                let original = try findOriginal(t, originalTxnId, expected: .redemption)
                try rules.checkCancel(original, originalTxnId: originalTxnId)
                let before = LedgerRules.spendable(member, lots: try store.lotsIfNeeded(t.memberId, member, at: time), at: time)
                let portions = try store.portions(ofRedemption: original.offset)
                rules.cancel(
                    t, offset: offset, originalTxnId: originalTxnId, original: original, portions: portions, member: member,
                    lots: try store.openLots(t.memberId), spendableBefore: before, into: &effects)
            }
        } catch let error as Rejection {
            throw .rejection(error)
        } catch let error as LedgerError {
            throw .ledger(error)
        } catch {
            preconditionFailure("unexpected error from ledger rules: \(error)")
        }
    }

    private func findOriginal(_ t: Transaction, _ originalTxnId: String, expected: TransactionKind) throws -> OriginalRecord {
        try rules.checkOriginalId(originalTxnId)
        let stored = try store.storedOriginal(partnerId: t.partnerId, partnerTxnId: originalTxnId)
        return try rules.checkOriginal(stored, of: t, originalTxnId: originalTxnId, expected: expected)
    }
}
