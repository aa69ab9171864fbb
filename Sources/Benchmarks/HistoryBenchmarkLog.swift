import Ledger
import Programme
import Simulation

/// The log of `loyalty bench history`: one shard's synthetic transactions in event-time
/// order, with a barrier (cycle) at the end of every simulated day placed in log order
/// (cycle n closes at the start + n days), and one closing the last day. Deterministic:
/// building it twice gives the same entries at the same offsets.
struct HistoryBenchmarkLog: Sequence, IteratorProtocol {
    static let dayMilliseconds: Int64 = 86_400_000

    private var coalition: SyntheticCoalition
    private let start: Int64
    private var offset: Int64 = 0
    /// The day the open cycle covers (0 = the first day).
    private var day: Int64 = 0
    private var pending: Transaction?
    private var ended = false

    init(programme: Programme, transactions: Int, members: Int, days: Int64) {
        var settings = SyntheticCoalition.Settings()
        settings.transactions = transactions
        settings.members = members
        settings.days = days
        coalition = SyntheticCoalition(programme: programme, settings: settings)
        start = settings.startMilliseconds
    }

    /// `SyntheticCoalition.heldEntries`.
    var generatorEntries: Int { coalition.heldEntries }

    mutating func next() -> LedgerEntry? {
        if pending == nil, !ended {
            pending = coalition.next()
            ended = pending == nil
        }
        let kind: LedgerEntry.Kind
        if let transaction = pending {
            if (transaction.eventTimeMilliseconds - start) / Self.dayMilliseconds > day {
                kind = barrier()
            } else {
                kind = .transaction(transaction)
                pending = nil
            }
        } else if day >= 0 {
            kind = barrier()
            day = -1  // the last day is closed: nothing follows
        } else {
            return nil
        }
        defer { offset += 1 }
        return LedgerEntry(offset: offset, kind: kind)
    }

    /// Closes the open day: its cycle is the day's number, from 1.
    private mutating func barrier() -> LedgerEntry.Kind {
        day += 1
        return .barrier(cycle: day, closedAtMilliseconds: start + day * Self.dayMilliseconds)
    }
}
