/// A participant's net position for a cycle: receivable − payable, in minor units.
/// Positive: the participant receives money; negative: it pays.
public struct NetPosition: Sendable, Hashable {
    public var participant: String
    public var amountMinor: Int64

    public init(participant: String, amountMinor: Int64) {
        self.participant = participant
        self.amountMinor = amountMinor
    }
}
