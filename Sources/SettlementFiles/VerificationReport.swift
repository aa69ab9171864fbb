import Clearing

/// What a successful verification checked.
public struct VerificationReport: Sendable, Hashable {
    public var cycles: [Int64]
    /// Files whose SHA-256 matched their manifest (manifests and signatures not counted).
    public var filesChecked: Int
    public var instructionCount: Int

    public init(cycles: [Int64], filesChecked: Int, instructionCount: Int) {
        self.cycles = cycles
        self.filesChecked = filesChecked
        self.instructionCount = instructionCount
    }
}
