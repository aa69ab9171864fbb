import Foundation
import SnapshotStore
import Testing

/// A temporary folder holding a store and scratch files, removed at the end.
final class StoreFolder {
    let directory: String
    let store: DirectorySnapshotStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshots-\(UUID().uuidString)").path
        store = try DirectorySnapshotStore(root: directory + "/store")
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A scratch file of `count` bytes derived from `seed`.
    func file(_ name: String, bytes count: Int, seed: UInt8) throws -> String {
        let path = directory + "/" + name
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func contents(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
}

@Suite(.timeLimit(.minutes(10)))
struct SnapshotStoreTests {
    @Test func putListGetDeleteByKey() throws {
        let folder = try StoreFolder()
        let file = try folder.file("a", bytes: 3 << 20 + 17, seed: 1)
        try folder.store.put(key: "p/x.bin", contentsOf: file)
        try folder.store.put(key: "p/y.json", bytes: Array("{}".utf8))
        #expect(try folder.store.list(prefix: "p/") == [StoredObject(key: "p/x.bin", bytes: 3 << 20 + 17), StoredObject(key: "p/y.json", bytes: 2)])
        #expect(try folder.store.list(prefix: "p/x").map(\.key) == ["p/x.bin"])
        #expect(try folder.store.list(prefix: "q/").isEmpty)
        #expect(try folder.store.get(key: "p/y.json") == Array("{}".utf8))
        try folder.store.download(key: "p/x.bin", to: folder.directory + "/copy")
        #expect(folder.contents(folder.directory + "/copy") == folder.contents(file))
        try folder.store.delete(key: "p/x.bin")
        try folder.store.delete(key: "p/x.bin")
        #expect(try folder.store.list(prefix: "p/").map(\.key) == ["p/y.json"])
        #expect(throws: SnapshotStoreError.self) { try folder.store.get(key: "p/x.bin") }
    }

    @Test(arguments: ["../escape", "a/../../b", ".hidden", "a//b", "a/b c", ""])
    func keysThatCouldLeaveTheStoreAreRefused(_ key: String) throws {
        let folder = try StoreFolder()
        let error = #expect(throws: SnapshotStoreError.self) { try folder.store.put(key: key, bytes: [1]) }
        #expect(error?.code == .invalidKey)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.directory + "/store").isEmpty)
    }

    @Test func snapshotsAreNewestFirstAndRestoredChecked() throws {
        let folder = try StoreFolder()
        let old = try folder.file("old", bytes: 5000, seed: 1)
        let new = try folder.file("new", bytes: 7000, seed: 2)
        #expect(try folder.store.newest(partition: 3) == nil)
        let first = try folder.store.putSnapshot(file: old, partition: 3, nextOffset: 100, lastSealedCycle: 4)
        let second = try folder.store.putSnapshot(file: new, partition: 3, nextOffset: 250, lastSealedCycle: 9)
        _ = try folder.store.putSnapshot(file: old, partition: 4, nextOffset: 900, lastSealedCycle: 9)
        #expect(try folder.store.snapshots(partition: 3) == [second, first])
        #expect(second.bytes == 7000 && second.sha256.count == 64 && second.partition == 3 && second.lastSealedCycle == 9)
        let target = folder.directory + "/restored/shard-0003.sqlite"
        let restored = try #require(try folder.store.restoreNewest(partition: 3, to: target))
        #expect(restored.restored == second && restored.skipped.isEmpty)
        #expect(folder.contents(target) == folder.contents(new))
        // Never over an existing file, never another partition's snapshot.
        #expect(throws: SnapshotStoreError.self) { try folder.store.restore(first, partition: 3, to: target) }
        #expect(folder.contents(target) == folder.contents(new))
        let wrong = #expect(throws: SnapshotStoreError.self) { try folder.store.restore(first, partition: 5, to: folder.directory + "/w") }
        #expect(wrong?.code == .wrongPartition)
    }

    @Test func dataWithoutManifestIsNotASnapshot() throws {
        let folder = try StoreFolder()
        let file = try folder.file("f", bytes: 4000, seed: 3)
        let complete = try folder.store.putSnapshot(file: file, partition: 1, nextOffset: 10, lastSealedCycle: 0)
        // An interrupted put: data of a newer snapshot, its manifest never written.
        try folder.store.put(key: "partition-0001/snapshot-00000000000000000020-abc.sqlite", contentsOf: file)
        // And the temporary file of an interrupted data put.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder.directory + "/store/partition-0001/.snapshot-x.sqlite.partial-1-1"))
        #expect(try folder.store.newest(partition: 1) == complete)
    }

    @Test func damagedDataIsSkippedForAnOlderSnapshot() throws {
        let folder = try StoreFolder()
        let older = try folder.store.putSnapshot(file: try folder.file("o", bytes: 4000, seed: 4), partition: 2, nextOffset: 10, lastSealedCycle: 0)
        let newer = try folder.store.putSnapshot(file: try folder.file("n", bytes: 4000, seed: 5), partition: 2, nextOffset: 20, lastSealedCycle: 1)
        // Same size, other bytes: only the hash can tell.
        _ = try folder.file("n2", bytes: 4000, seed: 6)
        let damaged = folder.directory + "/store/" + newer.dataKey
        try Data(folder.contents(folder.directory + "/n2")).write(to: URL(fileURLWithPath: damaged))
        let target = folder.directory + "/shard.sqlite"
        let direct = #expect(throws: SnapshotStoreError.self) { try folder.store.restore(newer, partition: 2, to: target) }
        #expect(direct?.code == .corrupt)
        #expect(!FileManager.default.fileExists(atPath: target))
        let restored = try #require(try folder.store.restoreNewest(partition: 2, to: target))
        #expect(restored.restored == older && restored.skipped.map(\.code) == [.corrupt])
        #expect(folder.contents(target) == folder.contents(folder.directory + "/o"))
    }

    @Test func pruneKeepsTheNewest() throws {
        let folder = try StoreFolder()
        let file = try folder.file("f", bytes: 1000, seed: 7)
        var taken: [SnapshotManifest] = []
        for offset in [10, 20, 30, 40, 50] as [Int64] {
            taken.append(try folder.store.putSnapshot(file: file, partition: 0, nextOffset: offset, lastSealedCycle: offset / 10))
        }
        try folder.store.put(key: "partition-0000/snapshot-00000000000000000015-dead.sqlite", contentsOf: file)
        try folder.store.put(key: "partition-0000/snapshot-00000000000000000099-live.sqlite", contentsOf: file)
        #expect(try folder.store.prune(partition: 0, keep: 2) == 7)
        #expect(try folder.store.snapshots(partition: 0) == [taken[4], taken[3]])
        // Data newer than every kept snapshot may be a put in progress: left alone.
        #expect(try folder.store.list(prefix: "partition-0000/").count == 5)
    }
}
