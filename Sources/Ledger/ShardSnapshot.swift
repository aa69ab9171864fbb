/// A consistent copy of a shard file and what it covers: the ledger after applying its
/// partition's log up to (excluding) `nextOffset`. Opening `path` as the partition's shard
/// and resuming the log at `nextOffset` gives the same ledger as replaying from offset 0.
public struct ShardSnapshot: Sendable, Equatable {
    public var partition: Int32
    /// The first offset not in the copy: where a worker restoring it resumes.
    public var nextOffset: Int64
    /// The last cycle sealed in the copy (-1 if none).
    public var lastSealedCycle: Int64
    /// Size of the copy in bytes.
    public var bytes: Int64
    /// Where the copy is.
    public var path: String

    public init(partition: Int32, nextOffset: Int64, lastSealedCycle: Int64, bytes: Int64, path: String) {
        self.partition = partition
        self.nextOffset = nextOffset
        self.lastSealedCycle = lastSealedCycle
        self.bytes = bytes
        self.path = path
    }
}
