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
        if found == nil { found = try store.refusedKeyOutcome(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, key: key) }
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
        // Every row holds its cycle until a retry of its key is past the horizon, except one
        // refused for being dated too far ahead (`LedgerRules.checkAhead`, the first check),
        // whose key is kept apart instead. Until 2026-12-04 every INVALID_FIELD refusal
        // held nothing, and one dated ahead of its cycle could be forgotten while a retry
        // was still inside the horizon; and a refusal before the date check (an unknown
        // partner) held its cycle however far ahead it was dated.
        if rejection?.datedAhead != true { store.noteArchiveTime(LedgerRules.archiveTime(of: t)) }
        try store.journal(t, offset: offset, effects.record, key: key)
        if rejection?.datedAhead == true { try store.keepRefusedKey(t, key: key, offset: offset, outcome: effects.record.outcome) }
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
