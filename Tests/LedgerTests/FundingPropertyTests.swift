import Basics
import Foundation
import LoyaltyTesting
import Programme
import SQLite
import Testing

@testable import Ledger

/// Funding models mixed at random over random workloads: at every seal the money adds up
/// (docs/finance.md, "Funding models"), the issuers' outstanding points are their open
/// lots, and the per-transaction debts sum to the sealed ones.
@Suite(.timeLimit(.minutes(10)))
struct FundingPropertyTests {
    /// A random mix of funding models and fees per redemption over handWorked's partners.
    static func programme(seed: UInt64) -> Programme {
        var random = SplitMix64(seed: seed)
        var funding: [String: FundingModel] = [:]
        var fees: [String: Int64] = [:]
        for id in ["alpha", "beta", "gamma"] {
            funding[id] = random.below(2) == 0 ? .onRedemption : .operatorFunded
            fees[id] = [0, 25, 7][random.below(3)]
        }
        return .handWorked(funding: funding, redemptionFees: fees)
    }

    /// Applies `entries` in one batch per barrier, calling `check` after each sealed cycle.
    static func applyCheckingSeals(_ h: Harness, _ entries: [LedgerEntry], check: (CyclePosition) throws -> Void) async throws {
        var chunk: [LedgerEntry] = []
        var pool = PoolYield()
        for entry in entries {
            chunk.append(entry)
            guard case .barrier = entry.kind else { continue }
            let outputs = try h.shard.apply(chunk, batchSize: chunk.count)
            chunk.removeAll()
            if case .position(let position) = outputs.last { try check(position) }
            await pool.ifDue()
        }
        if !chunk.isEmpty { try h.shard.apply(chunk, batchSize: chunk.count) }
    }

    /// SUM(points_left) of the open lots per issuer, as the lots table holds them.
    static func openPointsByIssuer(_ shard: Shard) throws -> [String: Int64] {
        let s = try shard.db.prepare("SELECT issuer, SUM(points_left) FROM lots WHERE points_left > 0 GROUP BY issuer")
        defer { s.reset() }
        var sums: [String: Int64] = [:]
        while try s.step() { sums[s.text(0)] = s.int64(1) }
        return sums
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func moneyAddsUpAtEverySealWhateverTheMixOfModels(seed: UInt64) async throws {
        let programme = Self.programme(seed: seed)
        let h = try Harness(programme: programme)
        let entries = Workload.entries(seed: 100 + seed, count: 2_000, programme: programme, members: 25)
        let pv = programme.pointValueMinor
        let operatorId = programme.operatorId
        var sealed = 0
        var operatorPaid: Int64 = 0
        try await Self.applyCheckingSeals(h, entries) { position in
            sealed += 1
            func debt(_ payer: String, _ payee: String) -> Int64 { position.debt(payer, payee) }
            // Netting is zero-sum: every participant's signed position adds up to 0.
            var net: [String: Int64] = [:]
            for d in position.debts where d.payer != d.payee {
                net[d.payer, default: 0] -= d.amountMinor
                net[d.payee, default: 0] += d.amountMinor
            }
            #expect(net.values.reduce(0, +) == 0)
            for partner in programme.partners {
                let points = position.points(partner.id) ?? PartnerPoints(partnerId: partner.id)
                // What a partner owes the operator is its fees and its funding, nothing else.
                #expect(debt(partner.id, operatorId) == points.feesMinor + points.redemptionFeesMinor + points.fundedMinor)
                // Funding: the value of the points it issued less what refunds clawed back.
                let funded = partner.fundingModel == .operatorFunded ? pv * (points.issued - points.clawedBack) : 0
                #expect(points.fundedMinor == funded, "cycle \(position.cycle), \(partner.id)")
                // Fees per redemption: one per redemption net of cancels, so a multiple of the fee.
                if partner.fees.perRedemptionMinor == 0 { #expect(points.redemptionFeesMinor == 0) }
                // An operator-funded issuer never pays a redeeming partner: the operator does.
                if partner.fundingModel == .operatorFunded {
                    for other in programme.partners where other.id != partner.id { #expect(debt(partner.id, other.id) == 0) }
                }
            }
            // Every redeemed point's value is owed to its redeeming partner, by the issuer or
            // by the operator (no partner point values here).
            let redeemedValue = programme.partners.reduce(Int64(0)) { $0 + pv * (position.points($1.id)?.redeemed ?? 0) }
            let owedToRedeemers = position.debts.filter { $0.payee != operatorId }.reduce(Int64(0)) { $0 + $1.amountMinor }
            #expect(owedToRedeemers == redeemedValue, "cycle \(position.cycle)")
            operatorPaid += programme.partners.reduce(Int64(0)) { $0 + debt(operatorId, $1.id) }
            // Exposure: the sealed level per issuer is SUM(points_left) of its open lots.
            let outstanding = Dictionary(
                position.points.filter { $0.outstanding != 0 }.map { ($0.partnerId, $0.outstanding) }, uniquingKeysWith: +)
            #expect(outstanding == (try Self.openPointsByIssuer(h.shard)), "cycle \(position.cycle)")
            // Per-transaction debts sum to the sealed ones.
            var traced: [String: Int64] = [:]
            for line in try #require(try h.shard.tracedDebts(cycle: position.cycle)) {
                traced["\(line.payer) \(line.payee)", default: 0] += line.amountMinor
            }
            let sealedDebts = Dictionary(
                position.debts.filter { $0.amountMinor != 0 }.map { ("\($0.payer) \($0.payee)", $0.amountMinor) }, uniquingKeysWith: +)
            #expect(traced.filter { $0.value != 0 } == sealedDebts, "cycle \(position.cycle)")
        }
        #expect(sealed >= 8)
        // The mix made the operator pay out whenever some partner was operator-funded.
        if programme.partners.contains(where: { $0.fundingModel == .operatorFunded }) { #expect(operatorPaid != 0) }
    }

    /// Replay: the same log in different batches (and reopened) gives the same ledger.
    @Test func fundedLedgersReplayTheSameWhateverTheBatches() async throws {
        let programme = Self.programme(seed: 7)
        let entries = Workload.entries(seed: 77, count: 600, programme: programme, members: 15)
        var digests: Set<String> = []
        var positions: Set<[CyclePosition]> = []
        for size in [5, 37, 600] {
            let h = try Harness(programme: programme)
            _ = try await h.shard.applyYielding(entries, batchSize: size)
            digests.insert(try h.shard.digest())
            positions.insert(try h.shard.positions())
        }
        #expect(digests.count == 1 && positions.count == 1)
    }
}
