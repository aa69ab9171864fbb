import Clearing

/// Timings of one benchmark run, in nanoseconds of a monotonic clock.
public struct ClearingBenchmarkResult: Sendable, Hashable {
    public var participantCount: Int
    public var entryCount: Int
    public var obligationCount: Int
    public var instructionCount: Int
    public var bytesWritten: Int
    /// Netting and instruction planning.
    public var settleNanoseconds: Int64
    /// Rendering, hashing, signing and durable writing of every file.
    public var writeNanoseconds: Int64

    public var totalNanoseconds: Int64 { settleNanoseconds + writeNanoseconds }
}
