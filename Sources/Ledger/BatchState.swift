/// What one `apply` accumulates in memory and writes once per batch (and at barriers):
/// member balances, debts, partner statistics and counts. Writing these once per batch
/// instead of once per transaction is most of the ledger's throughput.
final class BatchState {
    struct Member {
        var balance: Int64
        var shortfall: Int64
        /// Written at the next flush. Set by every rule that accepts a transaction for the
        /// member, so which rows exist never depends on batch boundaries.
        var dirty: Bool
    }

    struct DebtKey: Hashable {
        var payer: String
        var payee: String
    }

    var members: [String: Member] = [:]
    var debts: [DebtKey: Int64] = [:]
    var stats: [String: PartnerPoints] = [:]
    var accepted: Int64 = 0
    var rejected: Int64 = 0
    var duplicates: Int64 = 0
    var deadLetters: Int64 = 0

    func addDebt(payer: String, payee: String, amountMinor: Int64) {
        debts[DebtKey(payer: payer, payee: payee), default: 0] += amountMinor
    }

    func updateStats(_ partnerId: String, _ change: (inout PartnerPoints) -> Void) {
        change(&stats[partnerId, default: PartnerPoints(partnerId: partnerId)])
    }
}
