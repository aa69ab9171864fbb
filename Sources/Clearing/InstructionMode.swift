/// How net positions become payment instructions.
public enum InstructionMode: Sendable, Hashable {
    /// Largest debtor pays largest creditor (ties: smaller id first), repeated:
    /// at most n − 1 transfers for n participants with a non-zero position.
    case greedy
    /// Every participant pays to or receives from the operator: one transfer per
    /// non-operator participant with a non-zero position.
    case centralCounterparty(operatorId: String)

    /// The spelling used in the manifest: `greedy` or `central_counterparty`.
    public var manifestName: String {
        switch self {
        case .greedy: "greedy"
        case .centralCounterparty: "central_counterparty"
        }
    }
}
