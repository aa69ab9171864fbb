import Programme

extension Shard {
    /// Applies `batch` in one SQL transaction: every entry in order, the partition's next
    /// offset, then `beforeCommit(outputs)` (where the worker publishes and waits for
    /// acks), then COMMIT. A throw anywhere rolls everything back and propagates.
    /// Entries below the stored next offset were applied before and are skipped.
    public func apply(_ batch: LedgerBatch, beforeCommit: ([LedgerOutput]) throws -> Void) throws -> [LedgerOutput] {
        let pending = try begin(batch)
        do {
            try beforeCommit(pending.outputs)
        } catch {
            rollback(pending)
            throw error
        }
        try commit(pending)
        return pending.outputs
    }

    /// A batch applied inside an open SQL transaction, waiting for `commit` or `rollback`.
    /// Lets a caller keep several shards' transactions open at once and publish all their
    /// outputs with one wait for Kafka's acks (each shard is its own file).
    public final class Pending {
        public let outputs: [LedgerOutput]
        fileprivate let state: BatchState
        fileprivate var open = true

        fileprivate init(outputs: [LedgerOutput], state: BatchState) {
            self.outputs = outputs
            self.state = state
        }
    }

    /// First half of `apply`: `BEGIN IMMEDIATE`, every entry, the next offset. The SQL
    /// transaction stays open; finish it with `commit` or `rollback` before using the shard
    /// again. A throw rolls back and leaves nothing open.
    public func begin(_ batch: LedgerBatch) throws -> Pending {
        guard batch.entries.count <= LedgerBatch.maxEntries else {
            throw LedgerError(.invalidBatch, "batch of \(batch.entries.count) entries exceeds LedgerBatch.maxEntries (\(LedgerBatch.maxEntries)); split it")
        }
        let batchState = BatchState()
        try db.begin()
        do {
            try dropCachesIfWrittenElsewhere()
            let outputs = try applyEntries(batch, batchState)
            return Pending(outputs: outputs, state: batchState)
        } catch {
            rollbackTransaction()
            throw error
        }
    }

    /// COMMIT of a `begin`; only then do the batch's members enter the committed cache.
    /// A throw rolls back.
    public func commit(_ pending: Pending) throws {
        precondition(pending.open, "batch committed or rolled back twice")
        precondition(
            pending.state.journal.isEmpty && pending.state.portions.isEmpty && pending.state.newLots.isEmpty,
            "journal rows, portions or lots left unwritten at commit")
        pending.open = false
        do {
            try db.commit()
        } catch {
            rollbackTransaction()
            throw error
        }
        if committedMembers.count + pending.state.members.count > Self.maxCachedMembers {
            dropCaches()
        }
        for (id, member) in pending.state.members {
            committedMembers[id] = member
        }
        for id in pending.state.uncachedLots {
            committedLotCount -= committedLots.removeValue(forKey: id)?.count ?? 0
        }
        for (id, lots) in pending.state.lots {
            committedLotCount += lots.count - (committedLots.updateValue(lots, forKey: id)?.count ?? 0)
        }
        if committedLotCount > Self.maxCachedLots {
            committedLots.removeAll()
            committedLotCount = 0
        }
    }

    /// Forgets every committed cache: they are refilled from the file as members come up.
    func dropCaches() {
        committedMembers.removeAll()
        committedLots.removeAll()
        committedLotCount = 0
    }

    /// Another connection committed to this file since we last looked (the partition was
    /// applied elsewhere meanwhile): what we cached may be stale, so it all goes. Called
    /// inside BEGIN IMMEDIATE, when nobody else can write until we are done.
    private func dropCachesIfWrittenElsewhere() throws(LedgerError) {
        let version = try readDataVersion()
        guard version != dataVersion else { return }
        dataVersion = version
        dropCaches()
        journalKeys = nil
    }

    /// Undoes a `begin`: the file and every in-memory cache stay as before it.
    public func rollback(_ pending: Pending) {
        guard pending.open else { return }
        pending.open = false
        rollbackTransaction()
    }

    private func rollbackTransaction() { db.rollback() }

    private func applyEntries(_ batch: LedgerBatch, _ batchState: BatchState) throws -> [LedgerOutput] {
        self.batch = batchState
        defer { self.batch = nil }
        let start = try readShardRow().nextOffset
        var previous = start - 1
        var outputs: [LedgerOutput] = []
        outputs.reserveCapacity(batch.entries.count)
        for entry in batch.entries where entry.offset >= start {
            guard entry.offset > previous else {
                throw LedgerError(.invalidBatch, "entry offset \(entry.offset) does not follow \(previous); entries must be in increasing offset order")
            }
            previous = entry.offset
            switch entry.kind {
            case .transaction(let transaction):
                outputs.append(try applyTransaction(transaction, offset: entry.offset))
            case .barrier(let cycle, let closedAt):
                if let position = try applyBarrier(cycle: cycle, closedAtMilliseconds: closedAt, offset: entry.offset) {
                    outputs.append(.position(position))
                }
            case .inquiry(let memberId, let time):
                // What the member can spend at the inquiry's time; changes nothing.
                let balance = try spendableBalance(memberId, at: time)
                outputs.append(.inquiry(offset: entry.offset, memberId: memberId, balance: balance))
            case .deadLetter(let reason):
                try db.prepare("INSERT INTO dead_letters (offset, reason) VALUES (?, ?)")
                    .bind(.integer(entry.offset), .text(reason)).run()
                state.deadLetters += 1
            }
        }
        let next = max(start, batch.nextOffset)
        guard next > previous else {
            throw LedgerError(.invalidBatch, "batch nextOffset \(batch.nextOffset) must be above its last entry's offset \(previous)")
        }
        try flush(nextOffset: next)
        return outputs
    }

    var state: BatchState {
        guard let batch else { preconditionFailure("ledger rules used outside apply") }
        return batch
    }

    // MARK: Batch state

    func loadMember(_ memberId: String) throws(LedgerError) -> BatchState.Member {
        if let cached = state.members[memberId] { return cached }
        if let committed = committedMembers[memberId] {
            state.members[memberId] = committed
            return committed
        }
        let s = try db.prepare("SELECT balance, shortfall, expiry_floor FROM members WHERE member_id = ?")
        defer { s.reset() }
        s.bindText(1, memberId)
        let member: BatchState.Member
        if try s.step() {
            member = BatchState.Member(
                balance: s.int64(0), shortfall: s.int64(1), expiryFloorMilliseconds: s.int64(2), dirty: false, stored: true)
        } else {
            member = BatchState.Member(
                balance: 0, shortfall: 0, expiryFloorMilliseconds: BatchState.noOpenLots, dirty: false, stored: false)
            // Lots only ever exist for a member whose row exists (the accrual that made them
            // stored the member in the same transaction): a member without a row has none.
            if state.lots[memberId] == nil { state.lots[memberId] = [] }
        }
        state.members[memberId] = member
        return member
    }

    // MARK: Lots (the table is the truth; the cache is written through)

    /// The member's open lots in redemption order as cached (batch, then committed);
    /// nil when not cached.
    func cachedLots(_ memberId: String) -> [BatchState.Lot]? {
        if let lots = state.lots[memberId] { return lots }
        if !state.uncachedLots.isEmpty, state.uncachedLots.contains(memberId) { return nil }
        return committedLots[memberId]
    }

    /// The member's open lots in redemption order: from the cache, else from the lots
    /// table (and then cached, unless there are too many).
    func openLots(_ memberId: String) throws(LedgerError) -> [BatchState.Lot] {
        if let lots = cachedLots(memberId) {
            state.lots[memberId] = lots
            return lots
        }
        try flushLots()
        let lots = try tableOpenLots(memberId)
        if lots.count <= Self.maxCachedLotsPerMember && !state.uncachedLots.contains(memberId) {
            state.lots[memberId] = lots
        }
        return lots
    }

    /// The member's open lots as the lots table holds them, in redemption order (this
    /// batch's new lots only once `flushLots` inserted them).
    func tableOpenLots(_ memberId: String) throws(LedgerError) -> [BatchState.Lot] {
        let s = try db.prepare(
            "SELECT lot_id, issuer, points_left, expires_at, created_at FROM lots WHERE member_id = ? AND points_left > 0 ORDER BY expires_at, created_at, lot_id"
        )
        defer { s.reset() }
        s.bindText(1, memberId)
        var lots: [BatchState.Lot] = []
        while try s.step() {
            lots.append(
                BatchState.Lot(
                    lotId: s.int64(0), issuer: s.text(1), pointsLeft: s.int64(2), expiresAtMilliseconds: s.int64(3),
                    createdAtMilliseconds: s.int64(4)))
        }
        return lots
    }

    /// A new lot: kept in the batch until the next flush inserts it (`flushLots`) and,
    /// where the member's lots are cached, put into the cache at its place in redemption
    /// order.
    func insertLot(memberId: String, _ lot: BatchState.Lot) throws(LedgerError) {
        precondition(state.newLots.last.map { $0.lot.lotId < lot.lotId } ?? true, "lot \(lot.lotId) out of order")
        state.newLots.append(BatchState.NewLot(memberId: memberId, lot: lot, pointsInitial: lot.pointsLeft))
        guard batchLots(memberId) else { return }
        guard state.lots[memberId]!.count < Self.maxCachedLotsPerMember else {
            forgetLots(memberId)
            return
        }
        // In place: the batch's array is unique, so no copy per lot.
        state.lots[memberId]!.insertSorted(lot)
    }

    /// Makes the member's cached lots (if any) the batch's own, so that they can be
    /// changed in place. false: not cached.
    private func batchLots(_ memberId: String) -> Bool {
        if state.lots[memberId] != nil { return true }
        if !state.uncachedLots.isEmpty, state.uncachedLots.contains(memberId) { return false }
        guard let committed = committedLots[memberId] else { return false }
        state.lots[memberId] = committed
        return true
    }

    /// Sets an open lot's points left in the table and in the member's cached lots (a lot
    /// at 0 leaves them).
    func setLotPoints(_ lotId: Int64, _ points: Int64, memberId: String) throws(LedgerError) {
        precondition(points >= 0, "lot \(lotId) would go below zero (\(points))")
        if let index = state.newLotIndex(lotId) {
            // Not in the table yet: the flush inserts it with these points left.
            state.newLots[index].lot.pointsLeft = points
        } else {
            let s = try db.prepare("UPDATE lots SET points_left = ? WHERE lot_id = ?")
            s.bindInteger(1, points)
            s.bindInteger(2, lotId)
            try s.run()
        }
        guard batchLots(memberId) else { return }
        state.lots[memberId]!.setPoints(points, lotId: lotId, memberId: memberId)
    }

    static let lotRowsPerInsert = 32
    private static let lotInsert = "INSERT INTO lots (lot_id, member_id, issuer, points_initial, points_left, expires_at, created_at) VALUES "
    private static let lotTuple = "(?, ?, ?, ?, ?, ?, ?)"
    private static let lotInsertMany = lotInsert + Array(repeating: lotTuple, count: lotRowsPerInsert).joined(separator: ", ")
    private static let lotInsertOne = lotInsert + lotTuple

    /// Inserts the batch's new lots, with their points left as of now (a lot emptied in
    /// the same batch goes in at 0, as an insert and an update would leave it). Called by
    /// every flush and before anything else reads or writes the lots table by member or
    /// by a lot that may be new (a cache miss, a cancel).
    func flushLots() throws(LedgerError) {
        let rows = state.newLots
        guard !rows.isEmpty else { return }
        state.newLots.removeAll(keepingCapacity: true)
        try db.insertRows(
            rows, many: Self.lotInsertMany, one: Self.lotInsertOne, perStatement: Self.lotRowsPerInsert, columns: 7, bind: Self.bindLot)
    }

    private static func bindLot(_ s: SQLiteStatement, _ row: BatchState.NewLot, base: Int32) {
        s.bindInteger(base + 1, row.lot.lotId)
        s.bindText(base + 2, row.memberId)
        s.bindText(base + 3, row.lot.issuer)
        s.bindInteger(base + 4, row.pointsInitial)
        s.bindInteger(base + 5, row.lot.pointsLeft)
        s.bindInteger(base + 6, row.lot.expiresAtMilliseconds)
        s.bindInteger(base + 7, row.lot.createdAtMilliseconds)
    }

    /// From now on (this batch, and the committed cache after it) the member's lots are
    /// read from the table.
    func forgetLots(_ memberId: String) {
        state.lots[memberId] = nil
        state.uncachedLots.insert(memberId)
    }

    func storeMember(_ memberId: String, _ member: BatchState.Member) {
        precondition(member.shortfall >= 0, "member \(memberId): shortfall \(member.shortfall) below zero")
        var member = member
        member.dirty = true
        state.members[memberId] = member
    }

    /// Writes the batch's aggregates and the next offset; the caches stay valid.
    func flush(nextOffset: Int64) throws(LedgerError) {
        let state = self.state
        try flushJournal()
        try flushPortions()
        try flushLots()
        // A plain UPDATE for members whose row exists, a plain INSERT for new ones: an
        // upsert first tries the insert and then updates on the conflict.
        let update = try db.prepare("UPDATE members SET balance = ?, shortfall = ?, expiry_floor = ? WHERE member_id = ?")
        let insert = try db.prepare("INSERT INTO members (member_id, balance, shortfall, expiry_floor) VALUES (?, ?, ?, ?)")
        // By index: marking a member written needs no second hash lookup.
        for index in state.members.indices where state.members.values[index].dirty {
            let (id, member) = state.members[index]
            if member.stored {
                update.bindInteger(1, member.balance)
                update.bindInteger(2, member.shortfall)
                update.bindInteger(3, member.expiryFloorMilliseconds)
                update.bindText(4, id)
                try update.run()
                guard db.changes == 1 else {
                    throw LedgerError(.corrupt, "member \(id) is missing from the members table of \(db.path); rebuild the shard from the log")
                }
            } else {
                insert.bindText(1, id)
                insert.bindInteger(2, member.balance)
                insert.bindInteger(3, member.shortfall)
                insert.bindInteger(4, member.expiryFloorMilliseconds)
                try insert.run()
            }
            state.members.values[index].dirty = false
            state.members.values[index].stored = true
        }
        let d = try db.prepare(
            "INSERT INTO debts (cycle, payer, payee, amount_minor) VALUES (?, ?, ?, ?) ON CONFLICT (cycle, payer, payee) DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor"
        )
        for (key, amount) in state.debts {
            try d.bind(.integer(Schema.openCycle), .text(key.payer), .text(key.payee), .integer(amount)).run()
        }
        state.debts.removeAll(keepingCapacity: true)
        let p = try db.prepare(
            """
            INSERT INTO partner_stats (cycle, partner_id, issued, redeemed, expired, clawed_back, fees_minor) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (cycle, partner_id) DO UPDATE SET issued = issued + excluded.issued, redeemed = redeemed + excluded.redeemed,
            expired = expired + excluded.expired, clawed_back = clawed_back + excluded.clawed_back, fees_minor = fees_minor + excluded.fees_minor
            """
        )
        for (id, s) in state.stats {
            try p.bind(
                .integer(Schema.openCycle), .text(id), .integer(s.issued), .integer(s.redeemed), .integer(s.expired),
                .integer(s.clawedBack), .integer(s.feesMinor)
            ).run()
        }
        state.stats.removeAll(keepingCapacity: true)
        try db.prepare(
            "UPDATE shard SET next_offset = ?, open_accepted = open_accepted + ?, open_rejected = open_rejected + ?, open_duplicates = open_duplicates + ?, open_dead_letters = open_dead_letters + ? WHERE id = 1"
        ).bind(
            .integer(nextOffset), .integer(state.accepted), .integer(state.rejected), .integer(state.duplicates),
            .integer(state.deadLetters)
        ).run()
        state.accepted = 0
        state.rejected = 0
        state.duplicates = 0
        state.deadLetters = 0
    }

    // MARK: Barriers

    /// Seals the open cycle as `cycle` (or republishes the stored position of a cycle
    /// already sealed). nil for a stale barrier of a cycle this shard never sealed.
    func applyBarrier(cycle: Int64, closedAtMilliseconds: Int64, offset: Int64) throws(LedgerError) -> CyclePosition? {
        // The digest sealed into the position must not depend on batch boundaries, so
        // everything, including the next offset, is written as of this entry first.
        try flush(nextOffset: offset + 1)
        let row = try readShardRow()
        guard cycle > row.lastSealedCycle else { return try storedPosition(cycle: cycle) }
        try expireAll(atOrBefore: closedAtMilliseconds)
        try flush(nextOffset: offset + 1)
        let sealed = try readShardRow()
        try db.prepare("UPDATE debts SET cycle = ? WHERE cycle = ?").bind(.integer(cycle), .integer(Schema.openCycle)).run()
        try db.prepare("UPDATE partner_stats SET cycle = ? WHERE cycle = ?").bind(.integer(cycle), .integer(Schema.openCycle)).run()
        try db.prepare(
            "UPDATE shard SET last_sealed_cycle = ?, open_first_offset = ?, open_accepted = 0, open_rejected = 0, open_duplicates = 0, open_dead_letters = 0 WHERE id = 1"
        ).bind(.integer(cycle), .integer(offset + 1)).run()
        let ledgerDigest = try digest()
        try db.prepare("INSERT INTO cycles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").bind(
            .integer(cycle), .integer(sealed.openFirstOffset), .integer(offset), .integer(closedAtMilliseconds),
            .integer(sealed.accepted), .integer(sealed.rejected), .integer(sealed.duplicates),
            .integer(sealed.deadLetters), .text(ledgerDigest)
        ).run()
        return try storedPosition(cycle: cycle)
    }

    /// Breakage of every lot due at `time`: counted as expired for its issuer, no debt.
    /// Expiry floors stay as they are: emptying lots only raises the earliest open expiry,
    /// so they remain lower bounds (the member's next read of its lots sets it exactly).
    func expireAll(atOrBefore time: Int64) throws(LedgerError) {
        let s = try db.prepare(
            "SELECT lot_id, member_id, issuer, points_left FROM lots WHERE points_left > 0 AND expires_at <= ? ORDER BY lot_id"
        )
        s.bind(.integer(time))
        var due: [(lotId: Int64, memberId: String, issuer: String, points: Int64)] = []
        while try s.step() { due.append((s.int64(0), s.text(1), s.text(2), s.int64(3))) }
        s.reset()
        for lot in due {
            try setLotPoints(lot.lotId, 0, memberId: lot.memberId)
            var member = try loadMember(lot.memberId)
            member.balance -= lot.points
            storeMember(lot.memberId, member)
            state.updateStats(lot.issuer) { $0.expired += lot.points }
        }
    }
}
