import Clearing
import LoyaltyWire

/// Settings of a clearing node.
public struct ClearingConfiguration: Sendable {
    public var bootstrapServers: String
    /// The node's own state (cycles, positions): a SQLite file.
    public var statePath: String
    /// Where settlement files are written, one set per cycle.
    public var outputDirectory: String
    public var topics = Topics()
    public var groupId = "loyalty-clearing"
    public var mode: InstructionMode = .greedy
    public var schedule: ClearingSchedule = .onDemand
    public var kafkaExtra: [String: String] = [:]
    /// Test hook: exit the process at a named point ("after-files", "after-events") to
    /// prove a restart settles the same cycle with the same files and no duplicate events.
    public var failpoint: String?

    public init(bootstrapServers: String, statePath: String, outputDirectory: String) {
        self.bootstrapServers = bootstrapServers
        self.statePath = statePath
        self.outputDirectory = outputDirectory
    }
}
