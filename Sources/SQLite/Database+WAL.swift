import CSQLite
import Synchronization

/// What a connection's WAL holds, as SQLite tells it after each COMMIT of that connection
/// (`sqlite3_wal_hook`): the frames in the WAL, counted from its last restart. The WAL
/// file's size says how much it ever held, not how much it holds, once the file is kept
/// at its size instead of truncated at each restart (`journal_size_limit`).
package final class WALWatch: Sendable {
    /// Frames in the WAL after the connection's last COMMIT (0 before the first); any
    /// thread may read it.
    package var frames: Int { told.load(ordering: .relaxed) }
    fileprivate let told = Atomic<Int>(0)
    /// At this many frames the committing connection checkpoints (PASSIVE) inside its
    /// COMMIT, as SQLite's own `wal_autocheckpoint` does: a backstop for when nobody else
    /// checkpoints the file.
    package let backstopFrames: Int
    /// Checkpoints the backstop took inside this connection's COMMITs since the last call
    /// (not those it found busy).
    package func takeBackstops() -> Int { backstops.exchange(0, ordering: .relaxed) }
    fileprivate let backstops = Atomic<Int>(0)

    package init(backstopFrames: Int) {
        self.backstopFrames = backstopFrames
    }
}

extension Database {
    /// Has `watch` told the WAL's frames after each COMMIT of this connection. It replaces
    /// SQLite's automatic checkpoint (itself a WAL hook; `PRAGMA wal_autocheckpoint` after
    /// this would remove the watch): the watch's backstop takes its place.
    package func watchWAL(_ watch: WALWatch) {
        walWatch = watch
        let hook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
            context, db, name, frames in
            guard let context else { return SQLITE_OK }
            let watch = Unmanaged<WALWatch>.fromOpaque(context).takeUnretainedValue()
            watch.told.store(Int(frames), ordering: .relaxed)
            if Int(frames) >= watch.backstopFrames {
                // As SQLite's own hook: busy (another checkpoint running) is not an error.
                if sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK {
                    watch.backstops.add(1, ordering: .relaxed)
                }
            }
            return SQLITE_OK
        }
        _ = sqlite3_wal_hook(connection, hook, Unmanaged.passUnretained(watch).toOpaque())
    }
}
