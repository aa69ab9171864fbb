/// A clearing cycle as the clearing node keeps it.
///
/// OPEN (implicit: the cycle after the highest recorded one) → CLOSING (barriers written,
/// waiting for a position from every partition) → SETTLING (files written, events being
/// published) → SETTLED; or FAILED with the reason when a check does not pass. A failed
/// cycle is never settled in part.
public struct CycleRecord: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        case closing = "CLOSING"
        case settling = "SETTLING"
        case settled = "SETTLED"
        case failed = "FAILED"
    }

    public var cycle: Int64
    public var status: Status
    /// When the node decided to close the cycle (UTC ms); carried in the barriers.
    public var closedAtMilliseconds: Int64
    /// Partitions of the transactions topic when the barriers were written.
    public var partitions: Int32
    public var barriersSent: Bool
    /// Why the cycle failed, naming the partition or figure.
    public var reason: String?
    public var manifestSHA256: String?
    /// High watermark of the settlements topic before this cycle's events were published.
    public var eventsFromOffset: Int64?
    public var instructionCount: Int?
    /// Partitions whose position is in.
    public var positionsReceived: [Int32]

    public var waitingFor: [Int32] {
        let received = Set(positionsReceived)
        return (0..<partitions).filter { !received.contains($0) }
    }
}
