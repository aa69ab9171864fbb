import Programme

/// Where a rule's inputs come from: the shard's store (through its caches and the batch's
/// write-behind), or plain dictionaries in the tests (`MemoryLedger`). Reads only.
protocol RuleInputs {
    func memberState(_ memberId: String) throws(LedgerError) -> MemberState
    /// The member's open lots in redemption order when some may be due at `time`; may be
    /// empty otherwise (the expiry floor says nothing is due, so no rule needs them).
    func lotsIfNeeded(_ memberId: String, _ member: MemberState, at time: Int64) throws(LedgerError) -> [OpenLot]
    /// The member's open lots in redemption order.
    func openLots(_ memberId: String) throws(LedgerError) -> [OpenLot]
    func storedOriginal(partnerId: String, partnerTxnId: String) throws(LedgerError) -> OriginalRecord?
    /// A redemption's portions, each with its lot as it is now.
    func portions(ofRedemption offset: Int64) throws(LedgerError) -> [(portion: Portion, lot: OpenLot)]
    /// The log time: the close time of the shard's last sealed barrier; nil before the first.
    /// Read only when the programme sets a horizon. Never the wall clock.
    func logTimeMilliseconds() throws(LedgerError) -> Int64?
    /// The card as this shard knows it (any account, any state); nil if never enrolled here.
    func card(_ cardId: String) throws(LedgerError) -> CardRecord?
    /// How many active cards the account holds in this shard.
    func activeCardCount(ofAccount memberId: String) throws(LedgerError) -> Int
    /// The cycle of the barrier that suspended `partnerId`'s accruals (deposit exhausted),
    /// nil when not suspended (LedgerRules+Funding).
    func accrualSuspension(partnerId: String) throws(LedgerError) -> Int64?
}

/// A transaction the rules refuse (journaled as REJECTED), or storage failing under them.
enum RuleError: Error {
    case rejection(Rejection)
    case ledger(LedgerError)
}

extension LedgerRules {
    /// Which rule `t` takes and what it reads from `inputs`, in the order its checks need
    /// it (a rejection reads no more than the checks before it); the rule's decision is
    /// left in `effects`. The one dispatch over transaction kinds: the shard and the
    /// in-memory ledger of the tests both come through here.
    func decide(_ t: Transaction, offset: Int64, inputs: some RuleInputs, into effects: inout Effects) throws(RuleError) {
        do {
            // The times first: a record dated too far ahead is refused for that before any
            // other reason, so that no refused row is dated beyond the archive age (only
            // those refusals hold no cycle: Shard+Transaction).
            let logTime = programme.idempotencyHorizonDays == nil ? nil : try inputs.logTimeMilliseconds()
            try checkHorizon(t, logTime: logTime)
            let partner = try self.partner(of: t)
            let time = t.eventTimeMilliseconds
            try checkRetroClaim(t, logTime: logTime, inputs: inputs)  // claim_window_days (LedgerRules+RetroClaims)
            try checkCard(t, inputs: inputs)
            let member = try inputs.memberState(t.memberId)
            switch t.body {
            case .accrual(let wholeAmountMinor, let currency, let category):
                try checkIssues(partner)  // the catalogue never issues (LedgerRules+Exchange)
                try checkAmount("amount_minor", wholeAmountMinor)
                // A company accrual's half earns on its part (LedgerRules+Companies).
                let amountMinor = try companyPart(t, partner: partner, amountMinor: wholeAmountMinor)
                try checkAccrualSuspension(t, inputs: inputs)  // deposit exhausted (LedgerRules+Funding)
                let lots = try inputs.lotsIfNeeded(t.memberId, member, at: time)
                guard amountMinor > 0 else {  // a half that earns nothing (LedgerRules+Companies)
                    try checkCurrency(currency)
                    acceptEmptyPart(t, member: member, lots: lots, into: &effects)
                    break
                }
                try accrue(
                    t, offset: offset, partner: partner, amountMinor: amountMinor, currency: currency, category: category,
                    member: member, lots: lots, into: &effects)
            case .redemption(let requested):
                // The partner's redemption rules first: reward price, minimum, bill share.
                let points = try redemptionPoints(t, partner: partner, requested: requested)
                let miles = try conversionMiles(t, partner: partner, points: points)  // exchange partners (LedgerRules+Exchange)
                try checkAuthorisedUser(t)  // company accounts (LedgerRules+Companies)
                let due = try inputs.lotsIfNeeded(t.memberId, member, at: time)
                try checkRedemption(points: points, spendable: LedgerRules.spendable(member, lots: due, at: time))
                redeem(t, points: points, member: member, lots: try inputs.openLots(t.memberId), into: &effects)
                addPointValueDifference(t, partner: partner, points: points, into: &effects)
                if let miles { recordConversion(t, offset: offset, points: points, miles: miles, into: &effects) }
            case .refund(let originalTxnId, let amountMinor, let currency):
                try checkAmount("amount_minor", amountMinor)
                try checkCurrency(currency)
                let original = try findOriginal(t, originalTxnId, expected: .accrual, inputs: inputs, logTime: logTime)
                let terms = try refundTerms(original, originalTxnId: originalTxnId, amountMinor: amountMinor)
                let lots = LedgerRules.refundNeedsLots(terms, member: member, at: time) ? try inputs.openLots(t.memberId) : []
                refund(
                    t, amountMinor: amountMinor, originalTxnId: originalTxnId, original: original, terms: terms, member: member,
                    lots: lots, into: &effects)
            case .cancel(let originalTxnId):
                let original = try findOriginal(t, originalTxnId, expected: .redemption, inputs: inputs, logTime: logTime)
                try checkCancel(original, originalTxnId: originalTxnId)
                try checkCancelAllowed(partner, originalTxnId: originalTxnId)  // conversions stay (LedgerRules+Exchange)
                let before = LedgerRules.spendable(member, lots: try inputs.lotsIfNeeded(t.memberId, member, at: time), at: time)
                let portions = try inputs.portions(ofRedemption: original.offset)
                cancel(
                    t, offset: offset, originalTxnId: originalTxnId, original: original, portions: portions, member: member,
                    lots: try inputs.openLots(t.memberId), spendableBefore: before, into: &effects)
            case .card(let operation):
                try applyCard(t, operation, offset: offset, member: member, inputs: inputs, into: &effects)
            }
            recordActivity(t, into: &effects)  // expiry by inactivity: the deadline moves
            effects.record.debts = effects.debts  // journal.debts (LedgerRules+Funding)
        } catch let error as Rejection {
            throw .rejection(error)
        } catch let error as LedgerError {
            throw .ledger(error)
        } catch {
            preconditionFailure("unexpected error from ledger rules: \(error)")
        }
    }

    private func findOriginal(
        _ t: Transaction, _ originalTxnId: String, expected: TransactionKind, inputs: some RuleInputs, logTime: Int64?
    ) throws -> OriginalRecord {
        try checkOriginalId(originalTxnId)
        let stored = try inputs.storedOriginal(partnerId: t.partnerId, partnerTxnId: originalTxnId)
        let original = try checkOriginal(stored, of: t, originalTxnId: originalTxnId, expected: expected)
        try checkReversalWindow(t, original: original, originalTxnId: originalTxnId, logTime: logTime)
        return original
    }
}
