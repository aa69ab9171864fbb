import Foundation

/// Samples a cluster's lag (acknowledged records no worker has applied) on a thread of
/// its own every `intervalMilliseconds`, off the cooperative pool: the largest it saw, and
/// when a watched worker first caught up with the backlog it started with.
final class LagSampler: @unchecked Sendable {  // every var is behind `lock`
    private let run: ClusterRun
    private let intervalMilliseconds: UInt32
    private let lock = NSLock()
    private var stopped = false
    private var largest: Int64 = 0
    private var samples = 0
    private var watch: (name: String, ends: [Int32: Int64], start: ContinuousClock.Instant, assigned: ContinuousClock.Instant?)?
    private var caughtUp: (seconds: Double, replaySeconds: Double, records: Int64)?

    init(_ run: ClusterRun, intervalMilliseconds: UInt32 = 100) {
        self.run = run
        self.intervalMilliseconds = intervalMilliseconds
    }

    func start() {
        Thread { [self] in
            while !lock.withLock({ stopped }) {
                sample()
                usleep(intervalMilliseconds * 1_000)
            }
        }.start()
    }

    func stop() { lock.withLock { stopped = true } }

    var maxLag: Int64 { lock.withLock { largest } }
    var sampleCount: Int { lock.withLock { samples } }
    /// Seconds from the watched worker's start (and from when its first shard file
    /// appeared) until every partition it holds was applied to where the log ended at its
    /// start, and how many records that was; nil: not yet.
    var catchUp: (seconds: Double, replaySeconds: Double, records: Int64)? { lock.withLock { caughtUp } }

    /// Watches `name`, started just now with an empty data directory, while the log ended at `ends`.
    func watchCatchUp(of name: String, ends: [Int32: Int64]) {
        lock.withLock { watch = (name, ends, .now, nil) }
    }

    private func sample() {
        let lag = run.lag()
        var watched = lock.withLock { watch }
        var done: (seconds: Double, replaySeconds: Double, records: Int64)?
        if let current = watched {
            let held = run.applied(by: current.name)
            let now = ContinuousClock.now
            let assigned = current.assigned ?? (held.isEmpty ? nil : now)
            watched?.assigned = assigned
            let backlog = held.keys.reduce(Int64(0)) { $0 + (current.ends[$1] ?? 0) }
            if let assigned, held.allSatisfy({ $0.value >= (current.ends[$0.key] ?? 0) }) {
                done = ((now - current.start).seconds, (now - assigned).seconds, backlog)
            }
        }
        lock.withLock {
            largest = max(largest, lag)
            samples += 1
            if watch != nil, let watched { watch = watched }
            if let done {
                caughtUp = done
                watch = nil
            }
        }
    }
}
