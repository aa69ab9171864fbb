/// What one partition contributed to a cycle: offsets [firstOffset, barrierOffset) and
/// the outcome counts the shard sealed at the barrier.
public struct PartitionRange: Sendable, Hashable {
    public var partition: Int32
    public var firstOffset: Int64
    /// Offset of this cycle's barrier message; everything before it belongs to the cycle.
    public var barrierOffset: Int64
    public var accepted: Int64
    public var rejected: Int64
    public var duplicates: Int64
    public var deadLetters: Int64

    public init(
        partition: Int32, firstOffset: Int64, barrierOffset: Int64, accepted: Int64, rejected: Int64,
        duplicates: Int64, deadLetters: Int64
    ) {
        self.partition = partition
        self.firstOffset = firstOffset
        self.barrierOffset = barrierOffset
        self.accepted = accepted
        self.rejected = rejected
        self.duplicates = duplicates
        self.deadLetters = deadLetters
    }

    /// Messages in the range, the barrier excluded.
    public var offsetCount: Int64 { barrierOffset - firstOffset }

    func validate() throws(ClearingError) {
        guard partition >= 0, firstOffset >= 0, firstOffset <= barrierOffset else {
            throw ClearingError(
                .invalidInput, "partition \(partition): need partition ≥ 0 and 0 ≤ first_offset ≤ barrier_offset",
                location: "partitions[\(partition)]", found: "\(firstOffset)..<\(barrierOffset)")
        }
        guard accepted >= 0, rejected >= 0, duplicates >= 0, deadLetters >= 0 else {
            throw ClearingError(
                .invalidInput, "partition \(partition): outcome counts must not be negative",
                location: "partitions[\(partition)]")
        }
    }
}
