import Dispatch
import Synchronization

/// What a worker has done so far, readable from any thread (the demo's progress line,
/// tests waiting for a worker to catch up, the `ready` check).
public final class WorkerProgress: Sendable {
    public struct Partition: Sendable, Equatable {
        /// Next offset stored in the shard file (everything before it is applied).
        public var nextOffset: Int64
        /// Set when the shard could not be written and the partition was stopped.
        public var failure: String?
    }

    public struct Snapshot: Sendable, Equatable {
        public var partitions: [Int32: Partition] = [:]
        public var recordsApplied: Int64 = 0
        public var deadLetters: Int64 = 0
        /// Outputs (results, dead letters) Kafka refused for good and that were published
        /// in a bounded form instead (docs/operations.md); each is also logged.
        public var replacedOutputs: Int64 = 0
        public var batches: Int64 = 0
        /// Monotonic nanoseconds from the start of the first batch to the end of the last:
        /// the time the worker actually spent applying, without the group join before it.
        public var firstBatchStartNanoseconds: UInt64 = 0
        public var lastBatchEndNanoseconds: UInt64 = 0

        public var activeSeconds: Double {
            lastBatchEndNanoseconds > firstBatchStartNanoseconds
                ? Double(lastBatchEndNanoseconds - firstBatchStartNanoseconds) / 1e9 : 0
        }

        /// Records applied per second of active time.
        public var recordsPerSecond: Double {
            activeSeconds > 0 ? Double(recordsApplied) / activeSeconds : 0
        }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func assigned(_ partition: Int32, nextOffset: Int64) {
        state.withLock { $0.partitions[partition] = Partition(nextOffset: nextOffset, failure: nil) }
    }

    func revoked(_ partition: Int32) {
        state.withLock { _ = $0.partitions.removeValue(forKey: partition) }
    }

    func applied(_ partition: Int32, nextOffset: Int64, records: Int, deadLetters: Int, startedNanoseconds: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock {
            if $0.firstBatchStartNanoseconds == 0 { $0.firstBatchStartNanoseconds = startedNanoseconds }
            $0.lastBatchEndNanoseconds = now
            $0.partitions[partition, default: Partition(nextOffset: 0)].nextOffset = nextOffset
            $0.recordsApplied += Int64(records)
            $0.deadLetters += Int64(deadLetters)
            $0.batches += 1
        }
    }

    func replaced(_ count: Int) {
        state.withLock { $0.replacedOutputs += Int64(count) }
    }

    func failed(_ partition: Int32, reason: String) {
        state.withLock { $0.partitions[partition, default: Partition(nextOffset: 0)].failure = reason }
    }
}
