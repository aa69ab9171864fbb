import Foundation
import Logging
import Programme

/// Several accrual workers in one process and one consumer group: the demo's and the
/// tests' way to run a group without separate processes.
public final class WorkerPool: Sendable {
    public let workers: [AccrualWorker]
    private let tasks: [Task<Void, Error>]

    public init(
        count: Int,
        bootstrapServers: String,
        dataDirectory: String,
        programme: Programme,
        groupId: String = "loyalty-accrual",
        logger: Logger,
        configure: (inout WorkerConfiguration) -> Void = { _ in }
    ) {
        workers = (0..<count).map { index in
            var configuration = WorkerConfiguration(bootstrapServers: bootstrapServers, dataDirectory: dataDirectory)
            configuration.groupId = groupId
            configuration.clientId = "loyalty-worker-\(index)"
            configure(&configuration)
            return AccrualWorker(configuration: configuration, programme: programme, logger: logger)
        }
        tasks = workers.map { worker in Task { try await worker.run() } }
    }

    /// Next offset per partition over all workers (the highest, as a partition may have
    /// moved from one worker to another).
    public var nextOffsets: [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        for worker in workers {
            for (partition, state) in worker.progress.snapshot.partitions {
                offsets[partition] = max(offsets[partition] ?? 0, state.nextOffset)
            }
        }
        return offsets
    }

    public var recordsApplied: Int64 { workers.reduce(0) { $0 + $1.progress.snapshot.recordsApplied } }
    public var deadLetters: Int64 { workers.reduce(0) { $0 + $1.progress.snapshot.deadLetters } }

    /// Waits until every partition in `targets` is applied up to its target offset.
    /// Throws when a partition was stopped or the deadline passes, saying which lag.
    public func waitUntilApplied(
        _ targets: [Int32: Int64],
        timeoutSeconds: Double = 300,
        tick: () -> Void = {}
    ) async throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while true {
            for worker in workers {
                for (partition, state) in worker.progress.snapshot.partitions {
                    if let failure = state.failure { throw WorkerError(message: "partition \(partition) stopped: \(failure)") }
                }
            }
            let offsets = nextOffsets
            let lagging = targets.filter { (offsets[$0.key] ?? 0) < $0.value }
            if lagging.isEmpty { return }
            if Date() > deadline {
                let detail = lagging.keys.sorted().map { "partition \($0) at \(offsets[$0] ?? 0) of \(targets[$0]!)" }
                throw WorkerError(message: "workers did not catch up within \(Int(timeoutSeconds)) s: " + detail.joined(separator: ", "))
            }
            tick()
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Stops one worker after its batch in hand (it leaves the group) and waits for it.
    public func stop(workerAt index: Int) async throws {
        workers[index].requestStop()
        try await tasks[index].value
    }

    /// Stops every worker after its batch in hand and waits for them.
    public func stop() async throws {
        for worker in workers { worker.requestStop() }
        for task in tasks { try await task.value }
    }
}
