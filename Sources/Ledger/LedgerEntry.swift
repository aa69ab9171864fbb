import Programme

/// One message of the partition, already decoded.
public struct LedgerEntry: Sendable {
    public var offset: Int64
    public var kind: Kind

    public enum Kind: Sendable {
        case transaction(Transaction)
        /// The clearing node closed `cycle`; everything before this entry belongs to it.
        /// `accrualSuspended`: partners whose accruals are refused DEPOSIT_EXHAUSTED from
        /// this barrier until the next one.
        case barrier(cycle: Int64, closedAtMilliseconds: Int64, accrualSuspended: [String] = [])
        /// A programme version published into the log: transactions after it are priced by it.
        case programme(ProgrammeRelease)
        /// A balance question at an event time: answered with the balance spendable then.
        case inquiry(memberId: String, atMilliseconds: Int64)
        /// A message that could not be decoded or was invalid; recorded and counted.
        case deadLetter(reason: String)
    }

    public init(offset: Int64, kind: Kind) {
        self.offset = offset
        self.kind = kind
    }
}
