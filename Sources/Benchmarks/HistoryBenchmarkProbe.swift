import Foundation
import Ledger
import SQLite

/// What `loyalty bench history` looks at in the middle, once the hot state is steady and
/// at the end of the shard: the process's resident memory and the disk the shard and its
/// archives use.
public struct HistoryProbe: Sendable {
    /// The day (cycle) of the barrier it was taken after.
    public var day: Int64
    /// Transactions applied when it was taken.
    public var transactions: Int
    /// VmRSS and VmHWM of /proc/self/status, bytes (nil where there is no /proc).
    public var residentBytes: Int64?
    public var peakResidentBytes: Int64?
    /// VmRSS split: RssAnon (the heap: caches, SQLite's page cache, the duplicate filter)
    /// and RssFile (the shard's pages mapped through `mmap_size`, which the OS can drop).
    public var anonymousResidentBytes: Int64?
    public var fileResidentBytes: Int64?
    /// The shard file and its WAL.
    public var shardBytes: Int64
    /// Bytes by table and index (SQLite's dbstat), or one "pages" row of page_count ×
    /// page_size where dbstat is not compiled in.
    public var tableBytes: [String: Int64]
    /// Every file under the archive directory.
    public var archiveBytes: Int64
    /// The heap as malloc sees it (glibc's `mallinfo2`; nil elsewhere): bytes handed out
    /// and in use, and bytes freed but kept by malloc (fragmentation, not yet returned).
    public var heapInUseBytes: Int64?
    public var heapFreeBytes: Int64?
    /// The shard's caches, in entries.
    public var caches: Shard.CacheCounts
    /// Recent transactions the log's generator holds (`SyntheticCoalition.heldEntries`):
    /// the bench's own memory, also in the heap.
    public var generatorEntries: Int

    static func take(
        day: Int64, transactions: Int, shard: Shard, shardPath: String, archiveDirectory: String, generatorEntries: Int
    ) throws -> HistoryProbe {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let heap = heapUsage()
        return HistoryProbe(
            day: day, transactions: transactions, residentBytes: kilobytes("VmRSS:", in: status),
            peakResidentBytes: kilobytes("VmHWM:", in: status), anonymousResidentBytes: kilobytes("RssAnon:", in: status),
            fileResidentBytes: kilobytes("RssFile:", in: status),
            shardBytes: fileBytes(shardPath) + fileBytes(shardPath + "-wal"),
            tableBytes: try tableBytes(shardPath), archiveBytes: directoryBytes(archiveDirectory), heapInUseBytes: heap?.inUse,
            heapFreeBytes: heap?.free, caches: shard.cacheCounts, generatorEntries: generatorEntries)
    }

    private static func kilobytes(_ field: String, in status: String) -> Int64? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
            let value = Int64(line.dropFirst(field.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        else { return nil }
        return value * 1024
    }

    static func fileBytes(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func directoryBytes(_ path: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let name = walker.nextObject() as? String { total += fileBytes(path + "/" + name) }
        return total
    }

    /// On a second, read-only connection: the writer is not disturbed (WAL).
    private static func tableBytes(_ path: String) throws -> [String: Int64] {
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        try db.execute("PRAGMA query_only = 1")
        var sizes: [String: Int64] = [:]
        if let statement = try? db.prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name") {
            while try statement.step() { sizes[statement.text(0)] = statement.int64(1) }
            return sizes
        }
        let pages = try db.prepare("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        defer { pages.reset() }
        if try pages.step() { sizes["pages"] = pages.int64(0) }
        return sizes
    }
}
