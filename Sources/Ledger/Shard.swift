import Programme
import SQLite

/// One partition's ledger: a SQLite file and the rules that change it.
///
/// `Shard` coordinates: for each entry it asks the store (`LedgerStore`, which owns the
/// file, the caches and every SQL statement) for the rule's inputs, lets the rule
/// (`LedgerRules`, plain values in, `Effects` out) decide, and has the store write the
/// effects. One writer: owned by one thread, hence not Sendable. Every change happens
/// inside `apply`, in one SQL transaction together with the partition's next offset, so
/// the file is always a prefix of the partition's log applied (docs/design.md, "Rules
/// that keep it correct" 1, 2).
public final class Shard {
    public let partition: Int32
    /// The programme pricing the next entry: the newest version published into the log
    /// that the shard has read (Shard+Programme), or `baseProgramme` before the first.
    /// Changes only inside `apply`, at a `.programme` entry (and back if the batch rolls back).
    public internal(set) var programme: Programme
    /// The programme the shard was opened with (the worker's `--programme` file): it prices
    /// only the offsets before the first version published into the log.
    public let baseProgramme: Programme
    let store: LedgerStore
    var rules: LedgerRules
    /// The programme and rules before the open batch switched versions: a rollback puts
    /// them back, so a retried batch prices its entries as the first attempt did.
    var programmeBeforeBatch: (programme: Programme, rules: LedgerRules, sha256: String)?
    /// The SHA-256 of the published version in force ("" for `baseProgramme`): equal to the
    /// newest row of programme_versions, checked at every batch (Shard+Programme).
    var programmeSHA256 = ""
    /// The effects of the entry being applied; one buffer reused for every entry.
    var effects = Effects()
    /// Where this shard's barriers write their archive files (docs/operations.md, "Archives").
    public let archiveDirectory: String
    /// Where the last sealing barrier's time went (COMMIT excluded): `bench history`
    /// prints it for the early and the late barriers.
    public internal(set) var lastBarrierPhases = BarrierPhases()

    /// Opens (creating and migrating if needed) the shard file of `partition`; its archives
    /// go to `archiveDirectory` (nil: `<shard dir>/archive/partition-NNNN`). `programme`
    /// prices the offsets before the first version published into the log; a file that has
    /// read versions resumes with the newest (throws `.programmeVersion` if this binary
    /// cannot load it).
    public init(path: String, partition: Int32, programme: Programme, archiveDirectory: String? = nil) throws(LedgerError) {
        self.partition = partition
        self.programme = programme
        self.baseProgramme = programme
        self.archiveDirectory = archiveDirectory ?? ArchiveLocation.directory(forShardPath: path, partition: partition)
        store = try LedgerStore(path: path, partition: partition, archiveDirectory: self.archiveDirectory)
        rules = LedgerRules(programme: programme)
        do {
            try restoreNewestProgramme()
        } catch {
            store.close()
            throw error
        }
    }

    public func close() { store.close() }

    /// Entries in the shard's in-memory caches: the committed members, their open lots and
    /// the hot journal's keys (`loyalty bench history` breaks the heap down with them).
    public struct CacheCounts: Sendable, Equatable {
        public var members = 0
        public var lots = 0
        public var journalKeys = 0
        /// SQLite's page cache of the shard's connection, bytes (`cache_size` bounds it).
        public var sqlitePageCacheBytes: Int64 = 0
    }

    public var cacheCounts: CacheCounts {
        CacheCounts(
            members: store.committedMembers.count, lots: store.committedLotCount, journalKeys: store.journalKeys?.count ?? 0,
            sqlitePageCacheBytes: store.db.pageCacheBytes)
    }

    /// Pages the shard's connection has written since it opened (WAL frames, mostly):
    /// `loyalty bench history` gives them per record, a cost that does not vary with the
    /// machine's load.
    public var pagesWritten: Int64 { store.db.pagesWritten }

    /// A sealing barrier's parts, wall time: the archive step (the file taken from the
    /// build ahead or built, and recorded), the breakage sweep, the seal (invariants,
    /// chained digest, cycle rows) and the COMMIT of its batch (with the caches' update
    /// after it). Not part of it, beside it: the delete of the previous archive's rows,
    /// done before the first entry of the cycle this barrier closes
    /// (`LedgerStore+ArchivedRows`; zero when it was not done in this process).
    public struct BarrierPhases: Sendable, Equatable {
        public var breakage: Duration = .zero
        public var archive: Duration = .zero
        public var seal: Duration = .zero
        public var commit: Duration = .zero
        public var archivedRowsDeletedBefore: Duration = .zero
        public init() {}
    }

    /// The connection, for tests and tools that look at the file directly.
    var db: SQLiteDatabase { store.db }

    /// The offset of the first message not yet applied (0 for a new file).
    public func nextOffset() throws(LedgerError) -> Int64 {
        try store.readShardRow().nextOffset
    }

    // MARK: Reads

    /// The member as the file stores them. Expiry is applied lazily, so lots due but not
    /// yet expired (until an accepted transaction of the member or a barrier) are still
    /// here; `member(_:at:)` shows what results report.
    public func member(_ memberId: String) throws(LedgerError) -> MemberView {
        try store.view(of: memberId)
    }

    /// The member as every result and balance answer at `timeMilliseconds` reports them:
    /// lots due then (expiry ≤ time) left out, of the lots and of the balance.
    public func member(_ memberId: String, at timeMilliseconds: Int64) throws(LedgerError) -> MemberView {
        try store.view(of: memberId, at: timeMilliseconds)
    }

    public func totals() throws(LedgerError) -> ShardTotals { try store.totals() }

    /// Every sealed cycle's position, by cycle. Summaries that left the hot tables
    /// (`archive_cycle_summaries`) are read from their archive files: O(history).
    public func positions() throws(LedgerError) -> [CyclePosition] { try store.positions() }

    /// The position of the last sealed cycle (nil before the first).
    public func lastPosition() throws(LedgerError) -> CyclePosition? {
        try store.storedPosition(cycle: try store.readShardRow().lastSealedCycle)
    }

    /// SHA-256 (hex) of a canonical dump of every table: two files have equal digests iff
    /// they hold equal ledgers. O(history): barriers seal the chained digest instead
    /// (`CyclePosition.ledgerDigest`); this is the explicit verify.
    public func digest() throws(LedgerError) -> String { try store.digest() }

    /// `loyalty ledger verify`: the full digest, where the digest chain stands, and every
    /// check that needs no log (cycle rows contiguous, digests present, SQLite's
    /// quick_check, the archive files against their recorded hashes and row counts).
    /// O(history). Changes nothing.
    public func verify() throws(LedgerError) -> ShardVerification {
        var result = try store.verify()
        result.problems += try verifyArchives()
        return result
    }
}
