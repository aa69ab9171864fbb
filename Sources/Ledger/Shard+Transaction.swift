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
            store.absorbRejection(offset: offset, t, outcome)
            return .result(offset: offset, transaction: t, outcome: outcome, original: nil, facts: try facts(t.memberId, at: time))
        }
        let key = JournalKeys.hash(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId)
        var found = try store.storedOutcome(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, key: key)
        // A key refused as dated ahead is kept apart once its row left with its cycle.
        if found == nil { found = try store.refusedKeyOutcome(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId) }
        if let original = found {
            store.state.counts.duplicates += 1
            store.absorbDuplicate(offset: offset, t, originalOffset: original.offset)
            let outcome = Outcome(
                status: .duplicate,
                detail: "partner_txn_id: \"\(t.partnerTxnId)\" of partner \"\(t.partnerId)\" was already applied at offset \(original.offset)",
                pointsDelta: 0, balanceAfter: try store.spendableBalance(t.memberId, at: time))
            return .result(offset: offset, transaction: t, outcome: outcome, original: original.outcome, facts: try facts(t.memberId, at: time))
        }
        effects.reset()
        var rejection: Rejection?
        do {
            try rules.decide(t, offset: offset, inputs: store, into: &effects)
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
        // A row refused INVALID_FIELD moved nothing, and its times may be anything (one
        // dated years ahead is refused for that: `LedgerRules.checkAhead`).
        if rejection?.reason != .invalidField { store.noteArchiveTime(LedgerRules.archiveTime(of: t)) }
        try store.journal(t, offset: offset, effects.record, key: key)
        if let until = rejection?.keepKeyUntil { try store.keepRefusedKey(t, offset: offset, outcome: effects.record.outcome, until: until) }
        store.absorb(
            BatchState.JournalRow(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, offset: offset, memberId: t.memberId, record: effects.record))
        #if DEBUG
            try store.checkMember(t.memberId)
        #endif
        return .result(offset: offset, transaction: t, outcome: effects.record.outcome, original: nil, facts: try facts(t.memberId, at: time))
    }
}

/// The shard's rules read their inputs from the store.
extension LedgerStore: RuleInputs {}
