import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `SnapshotStore` in a directory: each object a file at `root/key`. Objects are
/// written under a hidden temporary name (`.<name>.partial-<pid>-<n>`), fsynced, renamed
/// to their key and the directory fsynced, so a crash leaves the old state or the new
/// object, never part of one; hidden files are never listed. Several workers may share
/// the directory (a shared volume, an object-store mount): keys never collide
/// (`SnapshotManifest.stem`) and temporary names carry the process id.
public struct DirectorySnapshotStore: SnapshotStore {
    public let root: String

    /// Uses `root`, creating it if needed; throws if it cannot be created or written.
    public init(root: String) throws(SnapshotStoreError) {
        self.root = root
        try LocalFiles.makeDirectory(root)
        guard access(root, W_OK) == 0 else {
            throw SnapshotStoreError(
                .io, "snapshot directory \(root) is not writable; check the mount and its permissions", systemErrno: errno)
        }
    }

    public var description: String { root }

    public func put(key: String, contentsOf path: String) throws(SnapshotStoreError) {
        let (target, temporary) = try prepareWrite(key)
        _ = try LocalFiles.copySynced(from: path, to: temporary)
        try LocalFiles.publish(temporary, as: target)
    }

    public func put(key: String, bytes: [UInt8]) throws(SnapshotStoreError) {
        let (target, temporary) = try prepareWrite(key)
        try LocalFiles.writeSynced(bytes, to: temporary)
        try LocalFiles.publish(temporary, as: target)
    }

    public func get(key: String) throws(SnapshotStoreError) -> [UInt8] {
        let path = try self.path(key)
        guard let data = FileManager.default.contents(atPath: path) else {
            if access(path, F_OK) != 0 { throw SnapshotStoreError(.notFound, "no object \(key) in \(root)") }
            throw LocalFiles.failure("read", path)
        }
        return Array(data)
    }

    public func download(key: String, to destination: String) throws(SnapshotStoreError) {
        let source = try path(key)
        guard access(source, F_OK) == 0 else { throw SnapshotStoreError(.notFound, "no object \(key) in \(root)") }
        _ = try LocalFiles.copySynced(from: source, to: destination)
    }

    public func list(prefix: String) throws(SnapshotStoreError) -> [StoredObject] {
        // Keys are paths: list the folder the prefix names, then filter by the rest.
        let slash = prefix.lastIndex(of: "/")
        let folder = slash.map { String(prefix[..<$0]) } ?? ""
        let namePrefix = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        if !folder.isEmpty { _ = try path(folder) }
        let directory = folder.isEmpty ? root : root + "/" + folder
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            if access(directory, F_OK) != 0 { return [] }
            throw LocalFiles.failure("list", directory)
        }
        var objects: [StoredObject] = []
        for name in names where !name.hasPrefix(".") && name.hasPrefix(namePrefix) {
            var status = stat()
            guard stat(directory + "/" + name, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            objects.append(StoredObject(key: folder.isEmpty ? name : folder + "/" + name, bytes: Int64(status.st_size)))
        }
        return objects.sorted { $0.key < $1.key }
    }

    public func delete(key: String) throws(SnapshotStoreError) {
        let path = try self.path(key)
        guard unlink(path) == 0 || errno == ENOENT else { throw LocalFiles.failure("unlink", path) }
    }

    /// The file of `key`, after checking the key cannot leave `root`.
    func path(_ key: String) throws(SnapshotStoreError) -> String {
        let components = key.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        for component in components {
            guard !component.isEmpty, !component.hasPrefix("."), component.allSatisfy({ allowed.contains($0) }) else {
                throw SnapshotStoreError(
                    .invalidKey, "key \"\(key)\": each /-separated part must be non-empty [A-Za-z0-9._-] not starting with a dot")
            }
        }
        return root + "/" + key
    }

    /// The target file of `key` and a temporary name beside it, its folder created.
    private func prepareWrite(_ key: String) throws(SnapshotStoreError) -> (target: String, temporary: String) {
        let target = try path(key)
        let folder = (target as NSString).deletingLastPathComponent
        try LocalFiles.makeDirectory(folder)
        let name = (target as NSString).lastPathComponent
        let unique = Self.counter.add(1, ordering: .relaxed).newValue
        return (target, folder + "/." + name + ".partial-\(getpid())-\(unique)")
    }

    private static let counter = Atomic<Int>(0)
}
