import Dispatch
import Foundation
import Ledger
import SQLite

/// One snapshot `loyalty bench history` took.
public struct HistorySnapshot: Sendable {
    public var cycle: Int64
    /// The first offset the snapshot does not cover.
    public var nextOffset: Int64
    public var bytes: Int64
    public var seconds: Double
    var path: String
}

/// The bench's snapshots: a consistent copy of the live shard taken on a second connection
/// (`VACUUM INTO`: the writer is not stopped), the newest kept.
struct HistorySnapshots {
    let directory: String

    func take(shardPath: String, nextOffset: Int64, cycle: Int64) throws -> HistorySnapshot {
        let files = FileManager.default
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/cycle-\(cycle).sqlite"
        let started = DispatchTime.now().uptimeNanoseconds
        let db = try SQLiteDatabase(path: shardPath)
        try db.execute("VACUUM INTO '\(path)'")
        db.close()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        for name in try files.contentsOfDirectory(atPath: directory) where "\(directory)/\(name)" != path {
            try files.removeItem(atPath: "\(directory)/\(name)")
        }
        return HistorySnapshot(cycle: cycle, nextOffset: nextOffset, bytes: HistoryProbe.fileBytes(path), seconds: seconds, path: path)
    }

    func restore(_ snapshot: HistorySnapshot, to path: String) throws {
        try FileManager.default.copyItem(atPath: snapshot.path, toPath: path)
    }
}
