/// Consecutive messages of one partition, applied in one SQL transaction.
public struct LedgerBatch: Sendable {
    /// Most entries one SQL transaction takes: bounds the write transaction's length and
    /// the memory of the batch's aggregates.
    public static let maxEntries = 10_000

    public var entries: [LedgerEntry]
    /// The partition's next offset once this batch is applied (last offset + 1, or more
    /// when the log skipped offsets, e.g. transaction markers).
    public var nextOffset: Int64

    public init(entries: [LedgerEntry], nextOffset: Int64) {
        self.entries = entries
        self.nextOffset = nextOffset
    }
}
