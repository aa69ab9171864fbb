import Programme
import SQLite

/// One partition's shard file and what is cached of it: every SQL statement of the
/// ledger is here. It reads the rules' inputs (members, lots, originals, portions)
/// through the caches and the batch's write-behind state, and writes the rules' effects.
///
/// One writer: owned by one thread (the `Shard`'s), hence not Sendable.
final class LedgerStore {
    let db: SQLiteDatabase
    /// The WAL's frames after each COMMIT of this writer (LedgerStore+Checkpoint).
    let wal: WALWatch
    /// The file's page size, bytes (a WAL frame is a page and 24 bytes).
    let pageSize: Int64
    let partition: Int32
    /// Where the shard's archive files are (`Shard.archiveDirectory`): positions and totals
    /// read cycle summaries that left the hot tables from there.
    let archiveDirectory: String
    /// Aggregates of the batch being applied; nil outside `apply`.
    var batch: BatchState?
    /// Balances as committed, so most transactions need no member SELECT. Filled only
    /// after a COMMIT succeeds, so a rolled-back batch can never leave it ahead of the file.
    var committedMembers: [String: BatchState.Member] = [:]
    /// Open lots per member as committed (redemption order), so a redemption needs no
    /// lots SELECT. Like `committedMembers`, filled only after a COMMIT succeeds; a member
    /// absent here is read from the lots table when needed.
    var committedLots: [String: [OpenLot]] = [:]
    /// Lots held in `committedLots`, for its bound.
    var committedLotCount = 0
    /// The hot journal's keys and their offsets; nil until the first apply builds it from
    /// the file (`LedgerStore+Journal`).
    var journalKeys: JournalKeys?
    /// `PRAGMA data_version` as last seen: it changes when another connection wrote the
    /// file (e.g. a partition that moved to another worker and back), and then every cache
    /// above is dropped before the next batch.
    var dataVersion: Int64 = 0
    /// Members written since their invariants were last checked (in this process): the end
    /// of the batch and a seal check them (`LedgerStore+Invariants`).
    var touchedSinceCheck: Set<String> = []
    /// Members the open batch checked after its seal, if any (taken out of
    /// `touchedSinceCheck`), and those its seal checked: back in if the batch rolls back,
    /// since what was checked then never happened.
    var checkedInOpenBatch: Set<String> = []
    var checkedBySeal: Set<String> = []
    /// Members the committed batches of the open cycle checked: checked again at the seal
    /// if another connection wrote the file meanwhile (`writtenElsewhereThisCycle`).
    var checkedThisCycle: Set<String> = []
    var writtenElsewhereThisCycle = false
    /// The open cycle's running hash (`LedgerStore+Chain`), as of the batch being applied:
    /// restarted from the shard row at every `begin`, so a rolled-back batch leaves nothing.
    var chain = ChainHasher()
    /// false: a lot a redemption empties again keeps its older `spent_lots` rows (the rule
    /// before migration 16), for the test that compares both.
    var dropsOlderSpentRows = true
    /// The next barrier's archive, built off the writer's thread (`ArchiveAhead`).
    let archiveAhead = ArchiveAhead()
    /// false: every barrier builds its archive file itself (tests compare both).
    var buildsArchivesAhead = true
    /// Archive files started ahead, and barriers that took theirs from `archiveAhead`
    /// (tests check both).
    var archivesBuiltAhead = 0
    var archivesTakenAhead = 0
    /// false: a barrier deletes the rows it archived itself instead of before the next
    /// entry (tests compare both).
    var deletesArchivedRowsLater = true
    /// The archive whose rows are still hot, as committed (`LedgerStore+ArchivedRows`);
    /// read from the file at the first `begin` after it was opened or written elsewhere.
    var committedArchivedRowsLeft: ArchivedRowsLeft?
    var archivedRowsLeftRead = false
    /// The hashes of the keys in `refused_keys` (`LedgerStore+RefusedKeys`), and perhaps a
    /// few more: nil until read from the file, again after another connection wrote it.
    var refusedKeyHashes: Set<UInt64>?
    /// How many times archived rows were deleted, and how long the last took (the bench).
    var archivedRowsDeletions = 0
    var lastArchivedRowsDeletion: Duration = .zero
    /// Bound on `committedMembers`; past it the cache starts over.
    static let maxCachedMembers = 1_000_000
    /// Bound on `committedLotCount` (about 64 bytes each); past it the lots cache starts over.
    static let maxCachedLots = 2_000_000
    /// A member with more open lots than this is not cached: read from the table each time.
    static let maxCachedLotsPerMember = 256

    /// Opens (creating and migrating if needed) the shard file of `partition`.
    init(path: String, partition: Int32, archiveDirectory: String) throws(LedgerError) {
        self.partition = partition
        self.archiveDirectory = archiveDirectory
        db = try SQLiteDatabase(path: path)
        do throws(LedgerError) {
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute("PRAGMA synchronous = NORMAL")
            // Page cache, temp store and mmap below: measured on a big shard and kept (docs/big-shards.md).
            try db.execute("PRAGMA cache_size = -65536")
            try db.execute("PRAGMA temp_store = MEMORY")
            // Reads through the page cache of the OS instead of a read() per page miss.
            try db.execute("PRAGMA mmap_size = 268435456")
            // The WAL's bound and checkpoints: kept out of the writer's COMMITs (LedgerStore+Checkpoint).
            wal = try Self.configureCheckpoints(db)
            try Schema.migrate(db, partition: partition)
            let size = try db.prepare("PRAGMA page_size")
            defer { size.reset() }
            pageSize = try size.step() ? size.int64(0) : 4096
            let statement = try db.prepare("SELECT partition FROM shard WHERE id = 1")
            defer { statement.reset() }
            guard try statement.step() else {
                throw LedgerError(.schema, "shard file \(path) has no shard record; it is damaged, rebuild it from the log")
            }
            let stored = statement.int64(0)
            guard stored == Int64(partition) else {
                throw LedgerError(
                    .wrongPartition, "shard file \(path) belongs to partition \(stored), not \(partition); check the data directory mapping")
            }
            dataVersion = try readDataVersion()
        } catch {
            db.close()
            throw error
        }
    }

    func close() {
        archiveAhead.cancel()
        db.close()
    }

    var state: BatchState {
        guard let batch else { preconditionFailure("ledger store written outside apply") }
        return batch
    }

    func readDataVersion() throws(LedgerError) -> Int64 {
        let statement = try db.prepare("PRAGMA data_version")
        defer { statement.reset() }
        _ = try statement.step()
        return statement.int64(0)
    }

    struct ShardRow {
        var nextOffset: Int64
        var lastSealedCycle: Int64
        var openFirstOffset: Int64
        /// The open cycle's counts.
        var counts: EntryCounts
    }

    func readShardRow() throws(LedgerError) -> ShardRow {
        let s = try db.prepare(
            "SELECT next_offset, last_sealed_cycle, open_first_offset, open_accepted, open_rejected, open_duplicates, open_dead_letters FROM shard WHERE id = 1"
        )
        defer { s.reset() }
        guard try s.step() else { throw LedgerError(.schema, "shard record missing in \(db.path)") }
        return ShardRow(
            nextOffset: s.int64(0), lastSealedCycle: s.int64(1), openFirstOffset: s.int64(2),
            counts: EntryCounts(accepted: s.int64(3), rejected: s.int64(4), duplicates: s.int64(5), deadLetters: s.int64(6)))
    }

    // MARK: Batches and caches

    /// `BEGIN IMMEDIATE` for a batch; the caches are dropped first if another connection
    /// wrote the file meanwhile.
    func begin(_ batchState: BatchState) throws(LedgerError) {
        try db.begin()
        do throws(LedgerError) {
            try dropCachesIfWrittenElsewhere()
            try restartChain()
            if !archivedRowsLeftRead {
                committedArchivedRowsLeft = try readArchivedRowsLeft()
                archivedRowsLeftRead = true
            }
        } catch {
            db.rollback()
            throw error
        }
        batchState.archivedRowsLeft = committedArchivedRowsLeft
        batch = batchState
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
        archivedRowsLeftRead = false
        refusedKeyHashes = nil
        writtenElsewhereThisCycle = true
    }

    /// Forgets every committed cache: they are refilled from the file as members come up.
    func dropCaches() {
        committedMembers.removeAll()
        committedLots.removeAll()
        committedLotCount = 0
    }

    /// COMMIT of the batch `batchState`; only then do its members enter the committed
    /// cache. A throw rolls back.
    func commit(_ batchState: BatchState) throws(LedgerError) {
        precondition(
            batchState.journal.isEmpty && batchState.portions.isEmpty && batchState.newLots.isEmpty,
            "journal rows, portions or lots left unwritten at commit")
        do throws(LedgerError) {
            try db.commit()
        } catch {
            rollback()
            throw error
        }
        if batchState.sealed {
            // A new cycle: what its batch checked after the seal is the new cycle's.
            checkedThisCycle = checkedInOpenBatch
            writtenElsewhereThisCycle = false
        } else {
            checkedThisCycle.formUnion(checkedInOpenBatch)
        }
        checkedInOpenBatch.removeAll(keepingCapacity: true)
        checkedBySeal.removeAll(keepingCapacity: true)
        committedArchivedRowsLeft = batchState.archivedRowsLeft
        if committedMembers.count + batchState.members.count > Self.maxCachedMembers {
            dropCaches()
        }
        for (id, member) in batchState.members {
            committedMembers[id] = member
        }
        for id in batchState.uncachedLots {
            committedLotCount -= committedLots.removeValue(forKey: id)?.count ?? 0
        }
        for (id, lots) in batchState.lots {
            committedLotCount += lots.count - (committedLots.updateValue(lots, forKey: id)?.count ?? 0)
        }
        if committedLotCount > Self.maxCachedLots {
            committedLots.removeAll()
            committedLotCount = 0
        }
        if journalKeys != nil {
            for archived in batchState.archivedKeys { journalKeys!.remove(archived.hash, archived.key, offset: archived.offset) }
        }
    }

    /// Undoes a batch: the file and every committed cache stay as before it.
    func rollback() {
        batch = nil
        db.rollback()
        touchedSinceCheck.formUnion(checkedInOpenBatch)
        touchedSinceCheck.formUnion(checkedBySeal)
        checkedInOpenBatch.removeAll(keepingCapacity: true)
        checkedBySeal.removeAll(keepingCapacity: true)
    }

    // MARK: Members

    /// The member's stored state (batch, committed cache, else the members table).
    func memberState(_ memberId: String) throws(LedgerError) -> MemberState {
        try loadMember(memberId).state
    }

    func loadMember(_ memberId: String) throws(LedgerError) -> BatchState.Member {
        if let cached = state.members[memberId] { return cached }
        if let committed = committedMembers[memberId] {
            state.members[memberId] = committed
            return committed
        }
        let s = try db.prepare("SELECT balance, shortfall, expiry_floor, programme_state FROM members WHERE member_id = ?")
        defer { s.reset() }
        s.bindText(1, memberId)
        let member: BatchState.Member
        if try s.step() {
            member = BatchState.Member(
                balance: s.int64(0), shortfall: s.int64(1), expiryFloorMilliseconds: s.int64(2), dirty: false, stored: true,
                programme: try MemberProgramme.stored(s.optionalText(3), memberId: memberId))
        } else {
            member = BatchState.Member(
                balance: 0, shortfall: 0, expiryFloorMilliseconds: MemberState.noOpenLots, dirty: false, stored: false)
            // Lots only ever exist for a member whose row exists (the accrual that made them
            // stored the member in the same transaction): a member without a row has none.
            if state.lots[memberId] == nil { state.lots[memberId] = [] }
        }
        state.members[memberId] = member
        return member
    }

    /// The member as a rule left it, written at the next flush.
    func storeMember(_ memberId: String, _ member: MemberState) {
        precondition(member.shortfall >= 0, "member \(memberId): shortfall \(member.shortfall) below zero")
        let stored = state.members[memberId]?.stored ?? false
        state.members[memberId] = BatchState.Member(
            balance: member.balance, shortfall: member.shortfall, expiryFloorMilliseconds: member.expiryFloorMilliseconds,
            dirty: true, stored: stored, programme: member.programme)
    }

    /// What the member can spend at `time` (`LedgerRules.spendable`), reading its lots only
    /// when something can be due. Changes nothing.
    func spendableBalance(_ memberId: String, at time: Int64) throws(LedgerError) -> Int64 {
        let member = try memberState(memberId)
        return LedgerRules.spendable(member, lots: try lotsIfNeeded(memberId, member, at: time), at: time)
    }

    /// The member's open lots when something of theirs can be due at `time`; else none read.
    func lotsIfNeeded(_ memberId: String, _ member: MemberState, at time: Int64) throws(LedgerError) -> [OpenLot] {
        LedgerRules.lotsNeeded(member, at: time) ? try openLots(memberId) : []
    }
}
