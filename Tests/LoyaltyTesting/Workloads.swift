import Programme
import Simulation

/// A deterministic stream of synthetic transactions: the demo's coalition, small. The same
/// arguments give the same transactions (and so the same shard digests) on every machine.
public func syntheticTransactions(_ count: Int, members: Int = 500, seed: UInt64 = 7) -> [Transaction] {
    var settings = SyntheticCoalition.Settings()
    settings.transactions = count
    settings.members = members
    settings.seed = seed
    return Array(SyntheticCoalition(programme: .sample, settings: settings))
}
