import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Shard snapshots on any `SnapshotStore`: the data object first, its manifest after, so a
/// snapshot whose writer died part-way has no manifest (or data that does not match it)
/// and is never taken for a complete one.
extension SnapshotStore {
    /// Stores the shard copy at `file` as a snapshot of `partition` covering the log up to
    /// (excluding) `nextOffset`: hashes it, puts the data, then the manifest. Returns the
    /// manifest. `file` is left in place (the caller removes it).
    public func putSnapshot(file: String, partition: Int32, nextOffset: Int64, lastSealedCycle: Int64) throws(SnapshotStoreError) -> SnapshotManifest
    {
        let (sha256, bytes) = try LocalFiles.digest(of: file)
        let stem = SnapshotManifest.stem(partition: partition, nextOffset: nextOffset, tag: Self.randomTag())
        let manifest = SnapshotManifest(
            partition: partition, nextOffset: nextOffset, lastSealedCycle: lastSealedCycle, bytes: bytes, sha256: sha256,
            dataKey: stem + SnapshotManifest.dataSuffix, createdAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000))
        try put(key: manifest.dataKey, contentsOf: file)
        try put(key: stem + SnapshotManifest.manifestSuffix, bytes: manifest.encoded())
        return manifest
    }

    /// The complete snapshots of `partition`, newest (highest offset) first: those whose
    /// manifest reads, names this partition and whose data object is there with the
    /// manifest's size. Data without a manifest (an interrupted put) is not listed.
    public func snapshots(partition: Int32) throws(SnapshotStoreError) -> [SnapshotManifest] {
        let objects = try list(prefix: SnapshotManifest.prefix(partition: partition))
        var sizes: [String: Int64] = [:]
        for object in objects { sizes[object.key] = object.bytes }
        var manifests: [SnapshotManifest] = []
        for object in objects where object.key.hasSuffix(SnapshotManifest.manifestSuffix) {
            let manifest: SnapshotManifest
            do throws(SnapshotStoreError) {
                manifest = try SnapshotManifest.decode(try get(key: object.key), key: object.key)
            } catch {
                // Gone since the listing (pruned) or unreadable: not a complete snapshot.
                continue
            }
            guard manifest.partition == partition, sizes[manifest.dataKey] == manifest.bytes else { continue }
            manifests.append(manifest)
        }
        return manifests.sorted { ($0.nextOffset, $0.createdAtMilliseconds) > ($1.nextOffset, $1.createdAtMilliseconds) }
    }

    /// The complete snapshot of `partition` covering the most of its log, if any.
    public func newest(partition: Int32) throws(SnapshotStoreError) -> SnapshotManifest? {
        try snapshots(partition: partition).first
    }

    /// Writes the snapshot's data to `path` (which must not exist), checked: the partition
    /// asked for, the size and the SHA-256 of the manifest. The data is downloaded under a
    /// temporary name beside `path` and renamed only once checked, and any `-wal`/`-shm`
    /// left beside `path` is removed first (they would belong to another file), so `path`
    /// is either absent or the complete snapshot.
    public func restore(_ manifest: SnapshotManifest, partition: Int32, to path: String) throws(SnapshotStoreError) {
        guard manifest.partition == partition else {
            throw SnapshotStoreError(
                .wrongPartition,
                "snapshot \(manifest.dataKey) is of partition \(manifest.partition), not \(partition); pick one of partition \(partition)")
        }
        guard access(path, F_OK) != 0 else {
            throw SnapshotStoreError(.io, "\(path) exists: a snapshot is restored only where there is no shard file; move it away first")
        }
        let folder = (path as NSString).deletingLastPathComponent
        try LocalFiles.makeDirectory(folder.isEmpty ? "." : folder)
        let temporary = (folder.isEmpty ? "" : folder + "/") + "." + (path as NSString).lastPathComponent + ".restoring-\(getpid())"
        unlink(temporary)
        try download(key: manifest.dataKey, to: temporary)
        let (sha256, bytes) = try LocalFiles.digest(of: temporary)
        guard sha256 == manifest.sha256, bytes == manifest.bytes else {
            unlink(temporary)
            throw SnapshotStoreError(
                .corrupt,
                "snapshot \(manifest.dataKey) in \(self) does not match its manifest (\(bytes) bytes, SHA-256 \(sha256); expected \(manifest.bytes) bytes, \(manifest.sha256)): it is damaged; restore an older one or replay the log"
            )
        }
        unlink(path + "-wal")
        unlink(path + "-shm")
        try LocalFiles.publish(temporary, as: path)
    }

    /// Restores the newest complete snapshot of `partition` that passes its checks into
    /// `path`, trying older ones when a newer one is damaged; nil (and `path` untouched)
    /// if there is none. `skipped` tells which were damaged and why.
    public func restoreNewest(
        partition: Int32, to path: String
    ) throws(SnapshotStoreError) -> (restored: SnapshotManifest, skipped: [SnapshotStoreError])? {
        var skipped: [SnapshotStoreError] = []
        for manifest in try snapshots(partition: partition) {
            do throws(SnapshotStoreError) {
                try restore(manifest, partition: partition, to: path)
                return (manifest, skipped)
            } catch  where error.code == .corrupt || error.code == .notFound {
                skipped.append(error)
            }
        }
        return nil
    }

    /// Keeps the `keep` newest complete snapshots of `partition` and deletes the others
    /// (manifest first, so none is ever half there and complete-looking), and data left by
    /// interrupted puts older than the oldest kept one. Returns how many objects it deleted.
    @discardableResult
    public func prune(partition: Int32, keep: Int) throws(SnapshotStoreError) -> Int {
        let complete = try snapshots(partition: partition)
        let kept = complete.prefix(max(1, keep))
        guard let oldestKept = kept.last else { return 0 }
        var deleted = 0
        for manifest in complete.dropFirst(kept.count) {
            try delete(key: Self.manifestKey(of: manifest))
            try delete(key: manifest.dataKey)
            deleted += 2
        }
        let keptData = Set(kept.map(\.dataKey))
        let cutoff = SnapshotManifest.stem(partition: partition, nextOffset: oldestKept.nextOffset, tag: "")
        for object in try list(prefix: SnapshotManifest.prefix(partition: partition))
        where object.key.hasSuffix(SnapshotManifest.dataSuffix) && !keptData.contains(object.key) && object.key < cutoff {
            try delete(key: object.key)
            deleted += 1
        }
        return deleted
    }

    static func manifestKey(of manifest: SnapshotManifest) -> String {
        String(manifest.dataKey.dropLast(SnapshotManifest.dataSuffix.count)) + SnapshotManifest.manifestSuffix
    }

    static func randomTag() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
