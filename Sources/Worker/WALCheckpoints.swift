import Dispatch
import Ledger
import Logging
import Synchronization

/// The worker's WAL checkpoints, on a thread of their own (docs/performance.md,
/// "Pay-with-points tail"). After a round commits, the loop asks here for each shard it
/// wrote; one whose WAL holds more than `Shard.checkpointBytes` is checkpointed (PASSIVE, on a
/// connection of its own) off the loop thread, so no round waits for the copy and its
/// fsyncs. A shard is queued at most once at a time. A checkpoint takes pass after pass
/// while the loop commits (`Shard.checkpoint(path:passes:)`): a WAL the loop appended to
/// during a single pass did not start over at its next round, and grew on to the writer's
/// backstop, which checkpoints inside a COMMIT. With the passes, a loop that pauses between
/// rounds can start its WAL over without the backstop (`CheckpointTests`); one that never
/// pauses (catching up a backlog) still needs it (`LedgerStore.autocheckpointPages`).
public final class WALCheckpoints: Sendable {
    private let queue = DispatchQueue(label: "loyalty-worker-checkpoints", qos: .utility)
    private let queued = Mutex<Set<String>>([])
    private let logger: Logger
    /// WAL content that makes a shard due (`Shard.checkpointBytes`; tests set less).
    let bound: Int64
    /// Checkpoints taken, and their passes.
    public let taken = Atomic<Int>(0)
    public let passes = Atomic<Int>(0)

    public init(logger: Logger = Logger(label: "loyalty.worker.checkpoints"), bound: Int64 = Shard.checkpointBytes) {
        self.logger = logger
        self.bound = bound
    }

    /// Queues a checkpoint of `shard`'s file if its WAL holds more than the bound
    /// (`Shard.walBytes`, from its last COMMIT: no system call).
    public func checkIfDue(_ shard: Shard) {
        guard shard.walBytes >= bound else { return }
        let path = shard.path
        guard queued.withLock({ $0.insert(path).inserted }) else { return }
        queue.async { [self] in
            defer { queued.withLock { _ = $0.remove(path) } }
            do {
                if let done = try Shard.checkpoint(path: path) {
                    taken.add(1, ordering: .relaxed)
                    passes.add(done.passes, ordering: .relaxed)
                }
            } catch {
                // The writer's own backstop (its WALWatch) still bounds the WAL.
                logger.warning("WAL checkpoint failed", metadata: [LogKey.error: "\(error)", "path": "\(path)"])
            }
        }
    }

    /// BLOCKING: returns once every queued checkpoint is done (no connection of ours is open).
    public func drain() { queue.sync {} }
}
