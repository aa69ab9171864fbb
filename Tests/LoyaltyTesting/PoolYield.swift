/// Lets a long synchronous loop in an async test hand its cooperative thread back now and
/// then, so it does not hold one of the pool's threads (2 on CI) for seconds.
///
/// It yields by time, not every n items, and seldom: a yield puts the test at the back of
/// the pool's queue, and while the parallel suite starts, that queue holds the first slice
/// of every test not yet started: one yield can wait a minute and more. A 0.6-second
/// property test that yielded at every barrier ran past its 2-minute limit on CI (stop 18).
/// Time limits are hang guards, not speed checks: suites that await use 10 minutes.
public struct PoolYield {
    private let interval: Duration
    private var last = ContinuousClock.now

    public init(every interval: Duration = .milliseconds(250)) { self.interval = interval }

    /// Yields if `interval` has passed since the last yield (or since `init`).
    public mutating func ifDue() async {
        guard ContinuousClock.now - last >= interval else { return }
        await Task.yield()
        last = .now
    }
}
