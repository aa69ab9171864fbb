/// One rendered file of a cycle: its name in the settlement directory and its exact bytes.
public struct SettlementFile: Sendable, Equatable {
    public var name: String
    public var bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}
