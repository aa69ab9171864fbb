import Dispatch
import Foundation
import SQLite

/// Builds the next barrier's archive file while the shard applies the entries before it
/// (docs/design.md, "Bounded hot state"; docs/big-shards.md).
///
/// After a barrier commits, the plan of the next barrier's archive is already known: it
/// depends only on the log up to that barrier (`LedgerStore.archivePlan`,
/// `buildNextArchiveAhead`). A reader
/// connection of its own, on a background thread, reads the plan's rows (frozen by then),
/// encodes them and writes the file durably. The next barrier takes the result if its own
/// plan is the same, and only records the file (its rows leave before the entry after that
/// barrier: `LedgerStore+ArchivedRows`); otherwise (a restart,
/// a programme version that moved the ages, a build that failed) it builds the file itself,
/// as it would have without this. Either way the same bytes: the build is one function of
/// the plan and the frozen rows (`BuiltArchive.build`).
final class ArchiveAhead: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var directory = ""
    private var running = false
    private var built: Result<BuiltArchive, LedgerError>?

    /// Starts building `plan` from the committed state of the file at `path`.
    /// Waits first for a build still running (one at a time).
    func start(_ plan: ArchivePlan, path: String, directory: String) {
        condition.lock()
        while running { condition.wait() }
        self.directory = directory
        running = true
        built = nil
        condition.unlock()
        DispatchQueue.global(qos: .utility).async {
            let result = Result { () throws(LedgerError) -> BuiltArchive in
                let db = try SQLiteDatabase(path: path, readOnly: true)
                defer { db.close() }
                // One read transaction: every query sees the same committed state.
                try db.execute("BEGIN")
                defer { try? db.execute("COMMIT") }
                return try BuiltArchive.build(plan, db: db, directory: directory)
            }
            self.condition.lock()
            self.built = result
            self.running = false
            self.condition.broadcast()
            self.condition.unlock()
        }
    }

    /// The file built for `plan`, waiting for a build still running; nil if none was
    /// started for that plan, it failed, or its file is no longer there with its size
    /// (the caller then builds it itself: nothing is recorded without its file).
    ///
    /// A file built for a plan no barrier takes (a cycle number guessed wrong, a shard
    /// closed before its next barrier) is left where it is, never deleted: another worker
    /// that took the partition over may be about to record the same name with the same
    /// bytes (the plan is a function of the log), and a barrier of that name writes its
    /// own bytes anyway.
    func take(_ plan: ArchivePlan) -> BuiltArchive? {
        condition.lock()
        defer { condition.unlock() }
        while running { condition.wait() }
        defer { built = nil }
        guard case .success(let archive) = built, archive.plan == plan else { return nil }
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + plan.fileName)
        guard (attributes?[.size] as? NSNumber)?.int64Value == archive.fileBytes else { return nil }
        return archive
    }

    /// Waits for a running build to end, keeping what it built (tests: its file is then
    /// on disk, whatever the machine's load).
    func waitUntilBuilt() {
        condition.lock()
        while running { condition.wait() }
        condition.unlock()
    }

    /// Waits for a running build to end and forgets it (the shard is closing).
    func cancel() {
        condition.lock()
        while running { condition.wait() }
        built = nil
        condition.unlock()
    }
}
