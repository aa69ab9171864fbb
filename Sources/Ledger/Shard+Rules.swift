import Programme

/// The business rules of DESIGN.md "Points and money", one function per transaction kind.
///
/// Choices where DESIGN.md is silent (keep in step with the project docs):
/// - An empty `partner_txn_id` is rejected (INVALID_FIELD) but not journaled: there is no
///   idempotency key to store it under. Every other rejection is journaled, so its repeat
///   is a DUPLICATE carrying the rejection.
/// - Every balance reported (`balance_after` of every result, accepted, rejected or
///   duplicate, and every balance answer) is the balance spendable at that entry's event
///   time: lots with expiry ≤ event time are left out, whether storage expired them yet or
///   not. For an accepted transaction `balance_after` = that spendable balance just before
///   it + `points_delta`.
/// - Expiry is lazy and the effect of time: every accepted transaction first expires the
///   member's lots due at its event time (breakage of their issuers, counted as `expired`
///   in the open cycle, no debt); barriers expire every lot due at their close time.
///   Rejections, duplicates and inquiries change nothing, expiry included: their balance
///   is computed. Event times only, never the wall clock: a replay gives the same ledger.
/// - Each member's expiry floor (a lower bound on its open lots' expiry) lets an
///   accrual or a balance report skip reading the lots while nothing can be due.
/// - `clawedBack` counts for the refunding partner (the accrual's issuer), including the
///   part that became shortfall; clawing from another issuer's lot makes no debt.
/// - A cancel restores its exact portions and reverses their debts; points restored into a
///   lot due at the cancel's event time expire at once (breakage of that lot's issuer), so
///   `points_delta` is what came back spendable (0 when every lot expired meanwhile). If
///   the member has a shortfall meanwhile, the restored points still spendable then pay it
///   off (lots in redemption order), because a shortfall never coexists with positive lots.
/// - A refund expires what is due first, so it never claws expired points (an expired
///   original lot is breakage; the claw comes from other lots, then shortfall).
/// - A lot's id is the offset of the accrual that created it: replay gives the same ids.
extension Shard {
    static let maxAmount = FieldLimits.maxAmount

    enum Kind: Int64 {
        case accrual = 0, redemption, refund, cancel

        var name: String {
            switch self {
            case .accrual: "an accrual"
            case .redemption: "a redemption"
            case .refund: "a refund"
            case .cancel: "a cancel"
            }
        }
    }

    /// One journal row: the outcome plus what later reversals need.
    struct Record {
        var kind: Kind
        var outcome: Outcome
        var amountMinor: Int64 = 0
        var points: Int64 = 0
        var feeMinor: Int64 = 0
        var lotId: Int64? = nil
        var originalOffset: Int64? = nil
    }

    /// A stored transaction a refund or cancel refers to.
    struct Original {
        var offset: Int64
        var memberId: String
        var kind: Kind?
        var status: String
        var amountMinor: Int64
        var points: Int64
        var feeMinor: Int64
        var lotId: Int64?
        var refundedMinor: Int64
        var clawedPoints: Int64
        var refundedFeeMinor: Int64
        var reversedBy: Int64?
    }

    struct Rejection: Error {
        var reason: RejectReason
        var detail: String
        init(_ reason: RejectReason, _ detail: String) {
            self.reason = reason
            self.detail = detail
        }
    }

    func applyTransaction(_ t: Transaction, offset: Int64) throws(LedgerError) -> LedgerOutput {
        // Without a partner_txn_id there is no idempotency key to journal under.
        guard !t.partnerTxnId.isEmpty else {
            state.rejected += 1
            let outcome = Outcome.rejected(
                .invalidField, "partner_txn_id: must not be empty",
                balanceAfter: try spendableBalance(t.memberId, at: t.eventTimeMilliseconds))
            return .result(offset: offset, transaction: t, outcome: outcome, original: nil)
        }
        let key = KeyFilter.hash(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId)
        if let original = try storedOutcome(partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, key: key) {
            state.duplicates += 1
            let outcome = Outcome(
                status: .duplicate,
                detail: "partner_txn_id: \"\(t.partnerTxnId)\" of partner \"\(t.partnerId)\" was already applied at offset \(original.offset)",
                pointsDelta: 0, balanceAfter: try spendableBalance(t.memberId, at: t.eventTimeMilliseconds))
            return .result(offset: offset, transaction: t, outcome: outcome, original: original.outcome)
        }
        let record: Record
        do {
            record = try decide(t, offset: offset)
            state.accepted += 1
        } catch {
            switch error {
            case .rejection(let rejection):
                state.rejected += 1
                record = Record(
                    kind: Self.kind(of: t.body),
                    outcome: .rejected(
                        rejection.reason, rejection.detail,
                        balanceAfter: try spendableBalance(t.memberId, at: t.eventTimeMilliseconds)))
            case .ledger(let error):
                throw error
            }
        }
        try journal(t, offset: offset, record, key: key)
        #if DEBUG
            try checkInvariants(memberId: t.memberId)
        #endif
        return .result(offset: offset, transaction: t, outcome: record.outcome, original: nil)
    }

    enum RuleError: Error {
        case rejection(Rejection)
        case ledger(LedgerError)
    }

    static func kind(of body: Transaction.Body) -> Kind {
        switch body {
        case .accrual: .accrual
        case .redemption: .redemption
        case .refund: .refund
        case .cancel: .cancel
        }
    }

    private func decide(_ t: Transaction, offset: Int64) throws(RuleError) -> Record {
        func reject(_ reason: RejectReason, _ detail: String) -> RuleError { .rejection(Rejection(reason, detail)) }
        guard let partner = programme.partner(t.partnerId) else {
            throw reject(.unknownPartner, "partner_id: \"\(t.partnerId)\" is not a partner of programme \(programme.version)")
        }
        guard !t.memberId.isEmpty else { throw reject(.invalidField, "member_id: must not be empty") }
        do {
            switch t.body {
            case .accrual(let amountMinor, let currency, let category):
                try checkAmount("amount_minor", amountMinor)
                try checkCurrency(currency)
                return try accrue(t, partner: partner, offset: offset, amountMinor: amountMinor, category: category)
            case .redemption(let points):
                try checkAmount("points", points)
                return try redeem(t, offset: offset, points: points)
            case .refund(let originalTxnId, let amountMinor, let currency):
                try checkAmount("amount_minor", amountMinor)
                try checkCurrency(currency)
                return try refund(t, offset: offset, originalTxnId: originalTxnId, amountMinor: amountMinor)
            case .cancel(let originalTxnId):
                return try cancel(t, offset: offset, originalTxnId: originalTxnId)
            }
        } catch let error as Rejection {
            throw .rejection(error)
        } catch let error as LedgerError {
            throw .ledger(error)
        } catch {
            preconditionFailure("unexpected error from ledger rules: \(error)")
        }
    }

    private func checkAmount(_ field: String, _ value: Int64) throws(Rejection) {
        guard value > 0, value <= Self.maxAmount else {
            throw Rejection(.invalidAmount, "\(field): must be > 0 and <= 10^12, got \(value)")
        }
    }

    private func checkCurrency(_ currency: String) throws(Rejection) {
        guard currency == programme.currency else {
            throw Rejection(.currencyMismatch, "currency: the programme settles in \(programme.currency), got \"\(currency)\"")
        }
    }

    // MARK: Accrual

    private func accrue(_ t: Transaction, partner: Programme.Partner, offset: Int64, amountMinor: Int64, category: String) throws -> Record {
        // programme.points/fee(partnerId:) with the partner looked up once.
        guard
            let points = Programme.points(
                amountMinor: amountMinor, earnBasisPoints: partner.earnBasisPoints(category: category),
                pointValueMinor: programme.pointValueMinor),
            let fee = Programme.fee(amountMinor: amountMinor, feeBasisPoints: partner.operatorFeeBasisPoints)
        else {
            throw Rejection(.invalidAmount, "amount_minor: \(amountMinor) overflows the points or fee arithmetic")
        }
        guard let expiry = programme.expiry(eventTimeMilliseconds: t.eventTimeMilliseconds) else {
            throw Rejection(.invalidField, "event_time: \(t.eventTimeMilliseconds) ms is outside the calendar range for expiry")
        }
        // Checked before anything changes (a rejection changes nothing), on the stored
        // balance: never below the spendable one.
        guard !(try loadMember(t.memberId)).balance.addingReportingOverflow(points).overflow else {
            throw Rejection(.invalidAmount, "amount_minor: the member's balance would overflow")
        }
        var member = try expireDue(memberId: t.memberId, at: t.eventTimeMilliseconds)
        let balance = member.balance + points
        // A refund shortfall is paid off before any new lot forms.
        let payoff = min(points, member.shortfall)
        member.shortfall -= payoff
        member.balance = balance
        let lotPoints = points - payoff
        if lotPoints > 0 {
            try insertLot(
                memberId: t.memberId,
                BatchState.Lot(
                    lotId: offset, issuer: t.partnerId, pointsLeft: lotPoints, expiresAtMilliseconds: expiry,
                    createdAtMilliseconds: t.eventTimeMilliseconds))
            member.expiryFloorMilliseconds = min(member.expiryFloorMilliseconds, expiry)
        }
        storeMember(t.memberId, member)
        state.updateStats(t.partnerId) {
            $0.issued += points
            $0.feesMinor += fee
        }
        if fee != 0 { state.addDebt(payer: t.partnerId, payee: programme.operatorId, amountMinor: fee) }
        return Record(
            kind: .accrual, outcome: Outcome(status: .accepted, pointsDelta: points, balanceAfter: member.balance),
            amountMinor: amountMinor, points: points, feeMinor: fee, lotId: lotPoints > 0 ? offset : nil)
    }

    // MARK: Redemption

    private func redeem(_ t: Transaction, offset: Int64, points: Int64) throws -> Record {
        // Every check before anything changes: a rejected redemption changes nothing, not
        // even the expiry of what is due (the next accepted transaction or barrier does it).
        _ = try value(of: points)  // the portions' values cannot overflow either
        let spendable = try spendableBalance(t.memberId, at: t.eventTimeMilliseconds)
        guard spendable >= points else {
            throw Rejection(.insufficientPoints, "points: \(points) requested, the balance is \(spendable)")
        }
        try expireDue(memberId: t.memberId, at: t.eventTimeMilliseconds)
        // Lots in redemption order (earliest expiry first), none of them due now.
        let lots = try openLots(t.memberId)
        var member = try loadMember(t.memberId)
        var portions: [(lotId: Int64, issuer: String, points: Int64)] = []
        var remaining = points
        // The first lot left open is the earliest expiry: the floor, exactly.
        var floor = BatchState.noOpenLots
        for lot in lots {
            guard remaining > 0 else {
                floor = lot.expiresAtMilliseconds
                break
            }
            let portion = min(remaining, lot.pointsLeft)
            try setLotPoints(lot.lotId, lot.pointsLeft - portion, memberId: t.memberId)
            portions.append((lot.lotId, lot.issuer, portion))
            remaining -= portion
            if portion < lot.pointsLeft {
                floor = lot.expiresAtMilliseconds
                break
            }
        }
        let taken = portions.reduce(0) { $0 + $1.points }
        precondition(taken == points, "member \(t.memberId): lots hold \(taken) of a balance covering \(points)")
        for portion in portions {
            state.portions.append(BatchState.PortionRow(redemptionOffset: offset, lotId: portion.lotId, points: portion.points))
            state.addDebt(payer: portion.issuer, payee: t.partnerId, amountMinor: try value(of: portion.points))
        }
        member.expiryFloorMilliseconds = floor
        member.balance -= points
        storeMember(t.memberId, member)
        state.updateStats(t.partnerId) { $0.redeemed += points }
        return Record(
            kind: .redemption, outcome: Outcome(status: .accepted, pointsDelta: -points, balanceAfter: member.balance),
            points: points)
    }

    private func value(of points: Int64) throws(Rejection) -> Int64 {
        let (value, overflow) = points.multipliedReportingOverflow(by: programme.pointValueMinor)
        guard !overflow else { throw Rejection(.invalidAmount, "points: \(points) points overflow their money value") }
        return value
    }

    // MARK: Refund

    private func refund(_ t: Transaction, offset: Int64, originalTxnId: String, amountMinor: Int64) throws -> Record {
        let original = try findOriginal(t, originalTxnId: originalTxnId, expected: .accrual)
        let refundedTotal = original.refundedMinor + amountMinor
        guard refundedTotal <= original.amountMinor else {
            throw Rejection(
                .refundExceedsOriginal,
                "amount_minor: refunds of \"\(originalTxnId)\" would total \(refundedTotal), above its amount \(original.amountMinor)")
        }
        guard let clawedTotal = Programme.proportion(original.points, part: refundedTotal, whole: original.amountMinor),
            let refundedFeeTotal = Programme.proportion(original.feeMinor, part: refundedTotal, whole: original.amountMinor)
        else {
            throw Rejection(.invalidAmount, "amount_minor: the clawback arithmetic overflows")
        }
        // Nothing rejects from here on. What is due expires first: the claw never takes
        // points that were no longer spendable (an expired original lot is breakage).
        try expireDue(memberId: t.memberId, at: t.eventTimeMilliseconds)
        let claw = clawedTotal - original.clawedPoints
        let feeBack = refundedFeeTotal - original.refundedFeeMinor
        precondition(claw >= 0 && feeBack >= 0, "refund totals went backwards for offset \(original.offset)")
        var member = try loadMember(t.memberId)
        let portions = try take(claw, memberId: t.memberId, firstLot: original.lotId)
        let fromLots = portions.reduce(0) { $0 + $1.points }
        member.shortfall += claw - fromLots
        member.balance -= claw
        storeMember(t.memberId, member)
        state.updateStats(t.partnerId) {
            $0.clawedBack += claw
            $0.feesMinor -= feeBack
        }
        if feeBack != 0 { state.addDebt(payer: t.partnerId, payee: programme.operatorId, amountMinor: -feeBack) }
        try db.prepare("UPDATE journal SET refunded_minor = ?, clawed_points = ?, refunded_fee_minor = ? WHERE partner_id = ? AND partner_txn_id = ?")
            .bind(.integer(refundedTotal), .integer(clawedTotal), .integer(refundedFeeTotal), .text(t.partnerId), .text(originalTxnId)).run()
        return Record(
            kind: .refund, outcome: Outcome(status: .accepted, pointsDelta: -claw, balanceAfter: member.balance),
            amountMinor: amountMinor, points: claw, feeMinor: feeBack, originalOffset: original.offset)
    }

    // MARK: Cancel

    private func cancel(_ t: Transaction, offset: Int64, originalTxnId: String) throws -> Record {
        let original = try findOriginal(t, originalTxnId: originalTxnId, expected: .redemption)
        if let reversedBy = original.reversedBy {
            throw Rejection(.alreadyReversed, "original_partner_txn_id: \"\(originalTxnId)\" was already cancelled at offset \(reversedBy)")
        }
        _ = try value(of: original.points)  // checked before anything changes
        // What the member could spend just before, for the points the cancel gives back.
        let spendableBefore = try spendableBalance(t.memberId, at: t.eventTimeMilliseconds)
        try flushPortions()
        try flushLots()
        let s = try db.prepare(
            "SELECT p.lot_id, p.points, l.issuer FROM portions p JOIN lots l ON l.lot_id = p.lot_id WHERE p.redemption_offset = ? ORDER BY p.lot_id"
        )
        s.bind(.integer(original.offset))
        var portions: [(lotId: Int64, points: Int64, issuer: String)] = []
        while try s.step() { portions.append((s.int64(0), s.int64(1), s.text(2))) }
        s.reset()
        var restored: Int64 = 0
        let update = try db.prepare("UPDATE lots SET points_left = points_left + ? WHERE lot_id = ?")
        for portion in portions {
            try update.bind(.integer(portion.points), .integer(portion.lotId)).run()
            state.addDebt(payer: portion.issuer, payee: t.partnerId, amountMinor: -(try value(of: portion.points)))
            restored += portion.points
        }
        precondition(restored == original.points, "cancel of offset \(original.offset): portions hold \(restored) of \(original.points) points")
        // Restored lots may have been empty (outside the cache): read them afresh.
        forgetLots(t.memberId)
        var member = try loadMember(t.memberId)
        member.balance += restored
        storeMember(t.memberId, member)
        // Points restored into a lot due at the event time are not spendable: they expire
        // now, breakage of that lot's issuer (as does anything else due). The lots are read
        // whatever the floor says: a restored lot may expire before it.
        try expireDue(memberId: t.memberId, at: t.eventTimeMilliseconds, force: true)
        member = try loadMember(t.memberId)
        // A shortfall may have arisen after the redemption; it must not coexist with
        // positive lots, so the restored points still open pay it off (redemption order).
        if member.shortfall > 0 {
            let paid = try take(member.shortfall, memberId: t.memberId, firstLot: nil).reduce(0) { $0 + $1.points }
            member.shortfall -= paid
            storeMember(t.memberId, member)
        }
        state.updateStats(t.partnerId) { $0.redeemed -= restored }
        try db.prepare("UPDATE journal SET reversed_by = ? WHERE partner_id = ? AND partner_txn_id = ?")
            .bind(.integer(offset), .text(t.partnerId), .text(originalTxnId)).run()
        // What the member got back to spend: less than `restored` when lots expired.
        return Record(
            kind: .cancel, outcome: Outcome(status: .accepted, pointsDelta: member.balance - spendableBefore, balanceAfter: member.balance),
            points: restored, originalOffset: original.offset)
    }

    private func findOriginal(_ t: Transaction, originalTxnId: String, expected: Kind) throws -> Original {
        guard !originalTxnId.isEmpty else {
            throw Rejection(.invalidField, "original_partner_txn_id: must not be empty")
        }
        guard let original = try storedOriginal(partnerId: t.partnerId, partnerTxnId: originalTxnId),
            original.memberId == t.memberId
        else {
            throw Rejection(
                .originalNotFound,
                "original_partner_txn_id: no transaction \"\(originalTxnId)\" of partner \"\(t.partnerId)\" for member \"\(t.memberId)\"")
        }
        let mine = expected == .accrual ? "a refund" : "a cancel"
        guard original.status == Outcome.Status.accepted.rawValue else {
            throw Rejection(.wrongOriginalKind, "original_partner_txn_id: \"\(originalTxnId)\" was rejected; \(mine) needs an accepted original")
        }
        guard original.kind == expected else {
            throw Rejection(
                .wrongOriginalKind,
                "original_partner_txn_id: \"\(originalTxnId)\" is \(original.kind?.name ?? "unknown"); \(mine) needs \(expected.name)")
        }
        return original
    }

    // MARK: Lots

    /// The member's open lots due at `time` (expiry ≤ time), changing nothing. None, and
    /// no lots read, while the member's expiry floor is above `time`: the common case, so
    /// an accrual or a balance report of a member whose lots are not cached reads no lots.
    func dueLots(_ memberId: String, at time: Int64) throws(LedgerError) -> ArraySlice<BatchState.Lot> {
        guard try loadMember(memberId).expiryFloorMilliseconds <= time else { return [] }
        // Redemption order starts with the earliest expiry: the due lots are a prefix.
        return try openLots(memberId).prefix { $0.expiresAtMilliseconds <= time }
    }

    /// What the member can spend at `time`: the balance less the lots due then that
    /// storage has not expired yet (expiry is applied lazily). Every reported balance is
    /// this one. Changes nothing.
    func spendableBalance(_ memberId: String, at time: Int64) throws(LedgerError) -> Int64 {
        let due = try dueLots(memberId, at: time).reduce(0) { $0 + $1.pointsLeft }
        return try loadMember(memberId).balance - due
    }

    /// Breakage of the member's lots due at `time` (expiry ≤ time): counted as expired for
    /// their issuers, no debt. When the lots were read, the expiry floor is set exactly.
    /// `force`: read them whatever the floor says (points went back into lots it does
    /// not cover). Returns the member as it is then.
    @discardableResult
    func expireDue(memberId: String, at time: Int64, force: Bool = false) throws(LedgerError) -> BatchState.Member {
        var member = try loadMember(memberId)
        guard force || member.expiryFloorMilliseconds <= time else { return member }
        let lots = try openLots(memberId)
        let due = lots.prefix { $0.expiresAtMilliseconds <= time }
        for lot in due {
            try setLotPoints(lot.lotId, 0, memberId: memberId)
            member.balance -= lot.pointsLeft
            state.updateStats(lot.issuer) { $0.expired += lot.pointsLeft }
        }
        let floor = lots.dropFirst(due.count).first?.expiresAtMilliseconds ?? BatchState.noOpenLots
        guard !due.isEmpty || floor != member.expiryFloorMilliseconds else { return member }
        member.expiryFloorMilliseconds = floor
        storeMember(memberId, member)
        return member
    }

    /// Takes up to `points` from the member's lots: `firstLot` first when given, then in
    /// redemption order (earliest expiry, oldest, lowest id). Returns what was taken.
    func take(_ points: Int64, memberId: String, firstLot: Int64?) throws(LedgerError) -> [(lotId: Int64, issuer: String, points: Int64)] {
        guard points > 0 else { return [] }
        var candidates = try openLots(memberId)
        if let firstLot, let index = candidates.firstIndex(where: { $0.lotId == firstLot }) {
            candidates.insert(candidates.remove(at: index), at: candidates.startIndex)
        }
        var remaining = points
        var taken: [(lotId: Int64, issuer: String, points: Int64)] = []
        for lot in candidates where remaining > 0 {
            let portion = min(remaining, lot.pointsLeft)
            try setLotPoints(lot.lotId, lot.pointsLeft - portion, memberId: memberId)
            taken.append((lot.lotId, lot.issuer, portion))
            remaining -= portion
        }
        return taken
    }

    // MARK: Journal

    private func journal(_ t: Transaction, offset: Int64, _ record: Record, key: KeyFilter.Hash) throws(LedgerError) {
        try journalFilterInPlace { $0.insert(key) }
        state.journal.append(
            BatchState.JournalRow(
                partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, offset: offset, memberId: t.memberId,
                kind: record.kind.rawValue, status: record.outcome.status.rawValue, reason: record.outcome.reason?.rawValue,
                detail: record.outcome.detail, pointsDelta: record.outcome.pointsDelta,
                balanceAfter: record.outcome.balanceAfter, amountMinor: record.amountMinor, points: record.points,
                feeMinor: record.feeMinor, lotId: record.lotId, originalOffset: record.originalOffset))
    }

    /// Journal rows per multi-row INSERT: one statement per row was a large share of
    /// the ledger's time (each step opens a cursor and seeks from the root).
    static let journalRowsPerInsert = 32
    private static let journalColumns = 15
    private static let journalRowValues = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, NULL)"
    private static let journalInsertMany =
        "INSERT INTO journal VALUES " + Array(repeating: journalRowValues, count: journalRowsPerInsert).joined(separator: ", ")
    private static let journalInsertOne = "INSERT INTO journal VALUES " + journalRowValues

    /// Inserts the batch's pending journal rows. Called by every flush and before any
    /// read or update of the journal, so SQL always sees every journaled transaction.
    func flushJournal() throws(LedgerError) {
        let rows = state.journal
        guard !rows.isEmpty else { return }
        state.journal.removeAll(keepingCapacity: true)
        try db.insertRows(
            rows, many: Self.journalInsertMany, one: Self.journalInsertOne, perStatement: Self.journalRowsPerInsert,
            columns: Self.journalColumns, bind: bindJournalRow)
    }

    static let portionRowsPerInsert = 64
    private static let portionInsert = "INSERT INTO portions (redemption_offset, lot_id, points) VALUES "
    private static let portionInsertMany = portionInsert + Array(repeating: "(?, ?, ?)", count: portionRowsPerInsert).joined(separator: ", ")
    private static let portionInsertOne = portionInsert + "(?, ?, ?)"

    /// Inserts the batch's pending portions (as `flushJournal`, for the same reason): at
    /// every flush and before a cancel reads them.
    func flushPortions() throws(LedgerError) {
        let rows = state.portions
        guard !rows.isEmpty else { return }
        state.portions.removeAll(keepingCapacity: true)
        try db.insertRows(
            rows, many: Self.portionInsertMany, one: Self.portionInsertOne, perStatement: Self.portionRowsPerInsert, columns: 3
        ) { statement, row, base in
            statement.bindInteger(base + 1, row.redemptionOffset)
            statement.bindInteger(base + 2, row.lotId)
            statement.bindInteger(base + 3, row.points)
        }
    }

    private func bindJournalRow(_ s: SQLiteStatement, _ row: BatchState.JournalRow, base: Int32) {
        s.bindText(base + 1, row.partnerId)
        s.bindText(base + 2, row.partnerTxnId)
        s.bindInteger(base + 3, row.offset)
        s.bindText(base + 4, row.memberId)
        s.bindInteger(base + 5, row.kind)
        s.bindText(base + 6, row.status)
        if let reason = row.reason { s.bindText(base + 7, reason) } else { s.bindNull(base + 7) }
        s.bindText(base + 8, row.detail)
        s.bindInteger(base + 9, row.pointsDelta)
        s.bindInteger(base + 10, row.balanceAfter)
        s.bindInteger(base + 11, row.amountMinor)
        s.bindInteger(base + 12, row.points)
        s.bindInteger(base + 13, row.feeMinor)
        if let lotId = row.lotId { s.bindInteger(base + 14, lotId) } else { s.bindNull(base + 14) }
        if let originalOffset = row.originalOffset { s.bindInteger(base + 15, originalOffset) } else { s.bindNull(base + 15) }
    }

    private func storedOutcome(partnerId: String, partnerTxnId: String, key: KeyFilter.Hash) throws(LedgerError) -> (offset: Int64, outcome: Outcome)? {
        guard try journalFilterInPlace({ $0.mightContain(key) }) else { return nil }
        try flushJournal()
        let s = try db.prepare(
            "SELECT offset, status, reason, detail, points_delta, balance_after FROM journal WHERE partner_id = ? AND partner_txn_id = ?"
        )
        defer { s.reset() }
        s.bindText(1, partnerId)
        s.bindText(2, partnerTxnId)
        guard try s.step() else { return nil }
        guard let status = Outcome.Status(rawValue: s.text(1)) else {
            throw LedgerError(.corrupt, "journal offset \(s.int64(0)) has unknown status \"\(s.text(1))\"; the file is damaged, rebuild it from the log")
        }
        let outcome = Outcome(
            status: status, reason: s.optionalText(2).flatMap(RejectReason.init(rawValue:)), detail: s.text(3),
            pointsDelta: s.int64(4), balanceAfter: s.int64(5))
        return (s.int64(0), outcome)
    }

    private func storedOriginal(partnerId: String, partnerTxnId: String) throws(LedgerError) -> Original? {
        try flushJournal()
        let s = try db.prepare(
            """
            SELECT offset, member_id, kind, status, amount_minor, points, fee_minor, lot_id, refunded_minor, clawed_points,
            refunded_fee_minor, reversed_by FROM journal WHERE partner_id = ? AND partner_txn_id = ?
            """
        )
        defer { s.reset() }
        s.bind(.text(partnerId), .text(partnerTxnId))
        guard try s.step() else { return nil }
        return Original(
            offset: s.int64(0), memberId: s.text(1), kind: Kind(rawValue: s.int64(2)), status: s.text(3),
            amountMinor: s.int64(4), points: s.int64(5), feeMinor: s.int64(6), lotId: s.isNull(7) ? nil : s.int64(7),
            refundedMinor: s.int64(8), clawedPoints: s.int64(9), refundedFeeMinor: s.int64(10),
            reversedBy: s.isNull(11) ? nil : s.int64(11))
    }

    /// Runs `body` on the journal's key filter, (re)built from the file first when missing
    /// or full. In place: the filter's bit array is never copied.
    func journalFilterInPlace<T>(_ body: (inout KeyFilter) -> T) throws(LedgerError) -> T {
        if journalKeys == nil || journalKeys!.isFull {
            try flushJournal()
            let s = try db.prepare("SELECT partner_id, partner_txn_id FROM journal")
            defer { s.reset() }
            var keys: [(String, String)] = []
            while try s.step() { keys.append((s.text(0), s.text(1))) }
            var filter = KeyFilter(capacity: max(4 * keys.count, 1 << 16))
            for (partnerId, partnerTxnId) in keys { filter.insert(KeyFilter.hash(partnerId: partnerId, partnerTxnId: partnerTxnId)) }
            journalKeys = filter
        }
        return body(&journalKeys!)
    }

    // MARK: Invariants

    /// Lots add up to the balance, no lot below zero, shortfall only without positive lots,
    /// the expiry floor a lower bound.
    /// A broken invariant stops the process: continuing would spread the damage.
    func checkInvariants(memberId: String) throws(LedgerError) {
        guard let member = state.members[memberId] else { return }
        let s = try db.prepare(
            "SELECT COALESCE(SUM(points_left), 0), COUNT(*), COALESCE(MIN(points_left), 0), MIN(expires_at) FROM lots WHERE member_id = ? AND points_left > 0"
        )
        defer { s.reset() }
        s.bind(.text(memberId))
        _ = try s.step()
        // The table's lots plus this batch's new ones, which are inserted at the flush.
        let new = pendingOpenLots(memberId)
        let lots = s.int64(0) + new.reduce(0) { $0 + $1.pointsLeft }
        let count = s.int64(1) + Int64(new.count)
        precondition(lots - member.shortfall == member.balance, "member \(memberId): lots \(lots) − shortfall \(member.shortfall) ≠ balance \(member.balance)")
        precondition(s.int64(2) >= 0, "member \(memberId): a lot is below zero")
        precondition(member.shortfall >= 0, "member \(memberId): shortfall \(member.shortfall) below zero")
        precondition(member.shortfall == 0 || count == 0, "member \(memberId): shortfall \(member.shortfall) next to \(count) positive lots")
        let earliest = ([s.isNull(3) ? BatchState.noOpenLots : s.int64(3)] + new.map(\.expiresAtMilliseconds)).min()!
        precondition(
            member.expiryFloorMilliseconds <= earliest,
            "member \(memberId): expiry floor \(member.expiryFloorMilliseconds) above the earliest open expiry \(earliest)")
        s.reset()
        try checkCachedLots(memberId: memberId)
    }

    /// The member's cached lots (if any) are exactly the open lots of the table, in
    /// redemption order. Debug builds check it after every transaction.
    func checkCachedLots(memberId: String) throws(LedgerError) {
        guard let cached = cachedLots(memberId) else { return }
        // Without flushing: the check must not change when rows are written.
        var stored = try tableOpenLots(memberId) + pendingOpenLots(memberId)
        stored.sort(by: BatchState.Lot.precedes)
        precondition(cached == stored, "member \(memberId): cached lots \(cached) differ from the table's \(stored)")
    }

    /// The member's lots created in this batch and still open (not in the table yet).
    func pendingOpenLots(_ memberId: String) -> [BatchState.Lot] {
        state.newLots.filter { $0.memberId == memberId && $0.lot.pointsLeft > 0 }.map(\.lot)
    }
}
