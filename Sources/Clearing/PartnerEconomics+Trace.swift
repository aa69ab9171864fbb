import Programme

/// One gross debt behind a settled amount (`loyalty settlement trace`): a transaction's
/// debt read from a shard's journal, or a line the clearing added (cycle fee, deposit
/// drawn), which `what` describes.
public struct TraceEntry: Sendable, Equatable {
    public var payer: String
    public var payee: String
    public var amountMinor: Int64
    /// `partition 3 offset 1207 redemption fuel/R-19 member M-8`, `cycle fee`, `deposit drawn`.
    public var what: String

    public init(payer: String, payee: String, amountMinor: Int64, what: String) {
        self.payer = payer
        self.payee = payee
        self.amountMinor = amountMinor
        self.what = what
    }
}

/// The lines behind one settled figure and their signed sum.
public struct TraceResult: Sendable, Equatable {
    /// Each entry with its signed amount: for a pair A→B, A→B positive and B→A negative;
    /// for one participant, what it receives positive and what it pays negative.
    public var lines: [(entry: TraceEntry, signedMinor: Int64)]
    public var totalMinor: Int64

    public static func == (a: TraceResult, b: TraceResult) -> Bool {
        a.totalMinor == b.totalMinor && a.lines.map(\.entry) == b.lines.map(\.entry) && a.lines.map(\.signedMinor) == b.lines.map(\.signedMinor)
    }
}

extension PartnerEconomics {
    /// The clearing's own lines of a cycle, as trace entries: each partner's cycle fee and
    /// what its deposit paid (a negative debt to the operator).
    public static func traceEntries(_ economics: [PartnerEconomics], operatorId: String) -> [TraceEntry] {
        economics.flatMap { item in
            item.clearingDebts(operatorId: operatorId).map {
                TraceEntry(
                    payer: $0.payer, payee: $0.payee, amountMinor: $0.amountMinor, what: $0.amountMinor < 0 ? "deposit drawn" : "cycle fee")
            }
        }
    }

    /// The entries between `payer` and `payee` (either way), signed payer→payee positive.
    /// Their total is the pair's bilateral amount: gross payer→payee − payee→payer, the
    /// obligation payer→payee when positive, payee→payer when negative.
    public static func trace(_ entries: [TraceEntry], payer: String, payee: String) throws(ClearingError) -> TraceResult {
        var lines: [(entry: TraceEntry, signedMinor: Int64)] = []
        var total: Int64 = 0
        for entry in entries where entry.payer != entry.payee {
            let signed: Int64
            if entry.payer == payer && entry.payee == payee {
                signed = entry.amountMinor
            } else if entry.payer == payee && entry.payee == payer {
                guard entry.amountMinor != .min else { throw Netting.overflow("trace \(payer) -> \(payee)") }
                signed = -entry.amountMinor
            } else {
                continue
            }
            guard addChecked(&total, signed) else { throw Netting.overflow("trace \(payer) -> \(payee)") }
            lines.append((entry, signed))
        }
        return TraceResult(lines: lines, totalMinor: total)
    }

    /// Every entry of `participant` but self-debts (never settled), signed receive positive:
    /// the total is its net position.
    public static func trace(_ entries: [TraceEntry], participant: String) throws(ClearingError) -> TraceResult {
        var lines: [(entry: TraceEntry, signedMinor: Int64)] = []
        var total: Int64 = 0
        for entry in entries where entry.payer != entry.payee && (entry.payer == participant || entry.payee == participant) {
            guard entry.amountMinor != .min else { throw Netting.overflow("trace \(participant)") }
            let signed = entry.payee == participant ? entry.amountMinor : -entry.amountMinor
            guard addChecked(&total, signed) else { throw Netting.overflow("trace \(participant)") }
            lines.append((entry, signed))
        }
        return TraceResult(lines: lines, totalMinor: total)
    }

    /// The settled bilateral amount payer→payee (negative: payee→payer) in a netting result.
    public static func bilateralMinor(_ netting: NettingResult, payer: String, payee: String) -> Int64 {
        var amount: Int64 = 0
        for obligation in netting.obligations {
            if obligation.payer == payer && obligation.payee == payee { amount &+= obligation.amountMinor }
            if obligation.payer == payee && obligation.payee == payer { amount &-= obligation.amountMinor }
        }
        return amount
    }

    /// The bilateral amount payer→payee as a partner statement states it
    /// (`payable,<payee>` − `receivable,<payee>` in the payer's statement), read from its
    /// text; pass the payee's statement with `fromPayeeSide` when the payer is the operator
    /// (which has none).
    public static func bilateralMinor(statement: String, counterparty: String, fromPayeeSide: Bool = false) -> Int64? {
        var payable: Int64 = 0
        var receivable: Int64 = 0
        var found = false
        for line in statement.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 4, fields[1] == Substring(counterparty), let amount = Int64(fields[2]) else { continue }
            if fields[0] == "payable" {
                payable &+= amount
                found = true
            } else if fields[0] == "receivable" {
                receivable &+= amount
                found = true
            }
        }
        if !found && !statement.hasPrefix(PartnerStatementCSV.header) { return nil }
        return fromPayeeSide ? receivable &- payable : payable &- receivable
    }
}
