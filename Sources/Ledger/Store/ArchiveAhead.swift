import Dispatch
import Foundation
import SQLite

/// Builds the next barrier's archive file while the shard applies the entries before it
/// (docs/design.md, "Bounded hot state"; docs/performance.md, "Big shards").
///
/// After a barrier commits, the plan of the next barrier's archive is already known: it
/// depends only on the log up to that barrier (`LedgerStore.nextArchivePlan`). A reader
/// connection of its own, on a background thread, reads the plan's rows (frozen by then),
/// encodes them and writes the file durably. The next barrier takes the result if its own
/// plan is the same, and only deletes the rows and records the file; otherwise (a restart,
/// a programme version that moved the ages, a build that failed) it builds the file itself,
/// as it would have without this. Either way the same bytes: the build is one function of
/// the plan and the frozen rows (`BuiltArchive.build`).
final class ArchiveAhead: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var plan: ArchivePlan?
    private var directory = ""
    private var running = false
    private var built: Result<BuiltArchive, LedgerError>?

    /// Starts building `plan` from the committed state of the file at `path`.
    /// Waits first for a build still running (one at a time).
    func start(_ plan: ArchivePlan, path: String, directory: String) {
        condition.lock()
        while running { condition.wait() }
        self.plan = plan
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
    /// started for that plan or it failed (the caller builds it itself). A file built for
    /// another plan under another name is removed: no barrier records it.
    func take(_ plan: ArchivePlan) -> BuiltArchive? {
        condition.lock()
        defer { condition.unlock() }
        while running { condition.wait() }
        defer { (self.plan, built) = (nil, nil) }
        guard case .success(let archive) = built else { return nil }
        guard archive.plan == plan else {
            if archive.plan.fileName != plan.fileName { try? FileManager.default.removeItem(atPath: directory + "/" + archive.plan.fileName) }
            return nil
        }
        return archive
    }

    /// Waits for a running build to end and forgets it, removing its file: no barrier
    /// recorded it (the shard is closing; the barrier that comes after a restart writes
    /// the same bytes again). After a crash such a file stays until that barrier.
    func cancel() {
        condition.lock()
        while running { condition.wait() }
        if case .success(let archive) = built { try? FileManager.default.removeItem(atPath: directory + "/" + archive.plan.fileName) }
        plan = nil
        built = nil
        condition.unlock()
    }
}
