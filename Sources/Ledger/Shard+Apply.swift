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
            throw LedgerError(
                .invalidBatch, "batch of \(batch.entries.count) entries exceeds LedgerBatch.maxEntries (\(LedgerBatch.maxEntries)); split it")
        }
        let batchState = BatchState()
        try store.begin(batchState)
        programmeBeforeBatch = nil
        do {
            defer { store.batch = nil }
            try followProgrammeOfFile()
            try checkArchiveLimits()
            let outputs = try applyEntries(batch)
            return Pending(outputs: outputs, state: batchState)
        } catch {
            store.rollback()
            restoreProgrammeAfterRollback()
            throw error
        }
    }

    /// COMMIT of a `begin`; only then do the batch's members enter the committed cache.
    /// A throw rolls back.
    public func commit(_ pending: Pending) throws {
        precondition(pending.open, "batch committed or rolled back twice")
        pending.open = false
        let started = ContinuousClock.now
        do {
            try store.commit(pending.state)
            if pending.state.sealed { lastBarrierPhases.commit = .now - started }
        } catch {
            restoreProgrammeAfterRollback()
            throw error
        }
        programmeBeforeBatch = nil
        if pending.state.sealed {
            // Committed: a failure to plan is the next barrier's to report (it plans again).
            try? store.buildNextArchiveAhead(programme: programme, directory: archiveDirectory)
        }
    }

    /// Undoes a `begin`: the file and every in-memory cache stay as before it.
    public func rollback(_ pending: Pending) {
        guard pending.open else { return }
        pending.open = false
        store.rollback()
        restoreProgrammeAfterRollback()
    }

    private func applyEntries(_ batch: LedgerBatch) throws -> [LedgerOutput] {
        let start = try store.readShardRow().nextOffset
        var previous = start - 1
        var outputs: [LedgerOutput] = []
        outputs.reserveCapacity(batch.entries.count)
        for entry in batch.entries where entry.offset >= start {
            guard entry.offset > previous else {
                throw LedgerError(
                    .invalidBatch, "entry offset \(entry.offset) does not follow \(previous); entries must be in increasing offset order")
            }
            previous = entry.offset
            // The rows the last archive holds leave before the first entry after its barrier.
            if let left = store.state.archivedRowsLeft, entry.offset > left.barrierOffset { try store.deleteArchivedRows(left) }
            switch entry.kind {
            case .transaction(let transaction):
                outputs.append(try applyTransaction(transaction, offset: entry.offset))
            case .barrier(let cycle, let closedAt, let suspended):
                if let position = try applyBarrier(
                    cycle: cycle, closedAtMilliseconds: closedAt, accrualSuspended: suspended, offset: entry.offset)
                {
                    outputs.append(.position(position))
                }
            case .programme(let release):
                try applyProgrammeRelease(release, offset: entry.offset)
            case .inquiry(let memberId, let time):
                // What the member can spend at the inquiry's time; changes nothing.
                let balance = try store.spendableBalance(memberId, at: time)
                outputs.append(
                    .inquiry(
                        offset: entry.offset, memberId: memberId, balance: balance,
                        facts: try facts(memberId, at: time, inquiry: true)))
            case .deadLetter(let reason):
                try store.insertDeadLetter(offset: entry.offset, reason: reason)
            }
        }
        let next = max(start, batch.nextOffset)
        guard next > previous else {
            throw LedgerError(.invalidBatch, "batch nextOffset \(batch.nextOffset) must be above its last entry's offset \(previous)")
        }
        try store.flush(nextOffset: next)
        try store.checkWrittenMembers(consequence: "the batch up to offset \(next - 1) is not applied")
        return outputs
    }

    // MARK: Barriers

    /// Seals the open cycle as `cycle` (or republishes the stored position of a cycle
    /// already sealed). nil for a stale barrier of a cycle this shard never sealed.
    func applyBarrier(
        cycle: Int64, closedAtMilliseconds: Int64, accrualSuspended: [String] = [], offset: Int64
    ) throws(LedgerError) -> CyclePosition? {
        // The digest sealed into the position must not depend on batch boundaries, so
        // everything, including the next offset, is written as of this entry first.
        try store.flush(nextOffset: offset + 1)
        let row = try store.readShardRow()
        guard LedgerRules.seals(cycle, lastSealedCycle: row.lastSealedCycle) else { return try store.storedPosition(cycle: cycle) }
        // The log time never goes back: the horizon and the archives count from it, and a
        // close before the last one would bring archived keys back inside the horizon (a
        // retry of one paid twice). The clearing node's closes only increase; a barrier
        // from anywhere else is sealed at the last close.
        let closedAtMilliseconds = max(closedAtMilliseconds, try store.logTimeMilliseconds() ?? .min)
        // Partners whose deposit is exhausted (refuse mode): accruals refused until the next.
        try store.replaceSuspended(accrualSuspended, cycle: cycle)
        lastBarrierPhases.archivedRowsDeletedBefore = store.lastArchivedRowsDeletion
        store.lastArchivedRowsDeletion = .zero
        let clock = ContinuousClock()
        var mark = clock.now
        func lap() -> Duration {
            let now = clock.now
            defer { mark = now }
            return now - mark
        }
        // The archive first: its rows were frozen when the previous barrier committed, and
        // this barrier's breakage must not change which lots it takes.
        try store.archiveExpired(cycle: cycle, barrierOffset: offset, programme: programme, directory: archiveDirectory)
        lastBarrierPhases.archive = lap()
        // Breakage of every lot due at the close time.
        for lot in try store.lotsDue(atOrBefore: closedAtMilliseconds) {
            effects.reset()
            LedgerRules.breakage(of: lot, member: try store.memberState(lot.memberId), into: &effects)
            try store.write(effects, memberId: lot.memberId, partnerId: lot.issuer, offset: offset)
        }
        try store.flush(nextOffset: offset + 1)
        lastBarrierPhases.breakage = lap()
        let open = try store.readShardRow()
        let seal = LedgerRules.seal(
            cycle: cycle, closedAtMilliseconds: closedAtMilliseconds, barrierOffset: offset, openFirstOffset: open.openFirstOffset,
            counts: open.counts)
        try store.insertCycleProgrammeVersions(
            cycle: cycle, try programmeVersions(ofCycle: open.openFirstOffset, barrier: offset))
        let position = try store.write(seal, programme: programme)
        try store.dropRefusedKeys(logTime: closedAtMilliseconds, horizonMilliseconds: programme.idempotencyHorizonMilliseconds)
        store.state.sealed = true
        lastBarrierPhases.seal = lap()
        return position
    }
}
