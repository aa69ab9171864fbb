/// Where shard snapshots are kept: a key-value object store with the four operations an
/// S3-compatible store offers (put, get, list by prefix, delete), so one can implement it
/// later. Callers assume no rename: each object is written once under a key that names it,
/// and a snapshot counts only once its manifest (written after its data) is there
/// (`SnapshotStore+Snapshots`). `DirectorySnapshotStore` keeps objects as files in a
/// directory (a shared volume or an object-store mount).
///
/// Keys are `/`-separated paths of `[A-Za-z0-9._-]` components not starting with a dot.
public protocol SnapshotStore: Sendable, CustomStringConvertible {
    /// Stores the file at `path` under `key`, atomically: a reader sees no object under
    /// `key` or the whole of it, never part of it, even if the process dies meanwhile.
    func put(key: String, contentsOf path: String) throws(SnapshotStoreError)
    /// Stores `bytes` under `key`, atomically (small objects: manifests).
    func put(key: String, bytes: [UInt8]) throws(SnapshotStoreError)
    /// The object under `key` (small objects: manifests); `.notFound` if there is none.
    func get(key: String) throws(SnapshotStoreError) -> [UInt8]
    /// Writes the object under `key` into a new file at `path` (fsynced);
    /// `.notFound` if there is none.
    func download(key: String, to path: String) throws(SnapshotStoreError)
    /// Every complete object whose key starts with `prefix`, with its size in bytes.
    func list(prefix: String) throws(SnapshotStoreError) -> [StoredObject]
    /// Removes the object under `key`; no error if there is none.
    func delete(key: String) throws(SnapshotStoreError)
}

/// One object of a `SnapshotStore` listing.
public struct StoredObject: Sendable, Equatable {
    public var key: String
    public var bytes: Int64

    public init(key: String, bytes: Int64) {
        self.key = key
        self.bytes = bytes
    }
}
