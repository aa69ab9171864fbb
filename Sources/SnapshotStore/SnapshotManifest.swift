import Foundation

/// What a snapshot is, written as a small JSON object after its data: the partition, the
/// log offset it covers (the first offset not in it), the last sealed cycle, the data's
/// size and SHA-256, and the data's key. A snapshot without a readable manifest is
/// incomplete and ignored.
public struct SnapshotManifest: Codable, Sendable, Equatable {
    /// Format of this manifest; readers refuse newer formats.
    public var format: Int
    public var partition: Int32
    /// The first offset not in the snapshot: a restored shard resumes here.
    public var nextOffset: Int64
    /// The last cycle sealed in the snapshot (-1 if none).
    public var lastSealedCycle: Int64
    /// Size of the data object in bytes.
    public var bytes: Int64
    /// SHA-256 of the data object, lower-case hex.
    public var sha256: String
    /// Key of the data object in the store.
    public var dataKey: String
    /// When it was taken (wall clock, UTC milliseconds since 1970): for people only.
    public var createdAtMilliseconds: Int64

    public static let currentFormat = 1

    public init(
        partition: Int32, nextOffset: Int64, lastSealedCycle: Int64, bytes: Int64, sha256: String, dataKey: String, createdAtMilliseconds: Int64
    ) {
        format = Self.currentFormat
        self.partition = partition
        self.nextOffset = nextOffset
        self.lastSealedCycle = lastSealedCycle
        self.bytes = bytes
        self.sha256 = sha256
        self.dataKey = dataKey
        self.createdAtMilliseconds = createdAtMilliseconds
    }

    // MARK: Keys

    /// The folder of a partition's snapshots: `partition-0003/`.
    public static func prefix(partition: Int32) -> String {
        "partition-\(padded(Int64(partition), width: 4))/"
    }

    /// `partition-0003/snapshot-00000000000000123456-<tag>`: ordered by offset when listed;
    /// the tag (random) keeps two snapshots at one offset apart, so no object is ever
    /// overwritten. Data is `<stem>.sqlite`, its manifest `<stem>.manifest.json`.
    static func stem(partition: Int32, nextOffset: Int64, tag: String) -> String {
        prefix(partition: partition) + "snapshot-" + padded(nextOffset, width: 20) + "-" + tag
    }

    static let dataSuffix = ".sqlite"
    static let manifestSuffix = ".manifest.json"

    static func padded(_ value: Int64, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // Encoding plain integers and strings cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    static func decode(_ bytes: [UInt8], key: String) throws(SnapshotStoreError) -> SnapshotManifest {
        let manifest: SnapshotManifest
        do {
            manifest = try JSONDecoder().decode(SnapshotManifest.self, from: Data(bytes))
        } catch {
            throw SnapshotStoreError(.corrupt, "manifest \(key) cannot be read (\(error)); the snapshot is ignored")
        }
        guard manifest.format <= currentFormat else {
            throw SnapshotStoreError(.corrupt, "manifest \(key) has format \(manifest.format), newer than this binary's \(currentFormat); upgrade")
        }
        return manifest
    }
}
