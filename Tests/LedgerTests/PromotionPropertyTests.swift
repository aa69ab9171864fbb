import Basics
import Foundation
import Programme
import Testing

@testable import Ledger

/// Random histories with promotions funded by partners and by the operator, a partner
/// settling points at its own value and one holding its points (and their bonuses) pending: every bonus is what an independent model of the
/// promotions says, every redeemed point of a funder's lots is one debt of the funder, the
/// debts net to zero, and a replay in other batch sizes gives the same ledger.
@Suite(.timeLimit(.minutes(10))) struct PromotionPropertyTests {
    static let window = (Clock.t0 + 100 * Clock.day)..<(Clock.t0 + 200 * Clock.day)

    static var programme: Programme {
        var alphaBoost = Promotion.make(
            "alpha-boost", .multiplier, funder: "alpha", partners: ["alpha"], from: window.lowerBound, until: window.upperBound,
            multiplier: 15_000)
        alphaBoost.categories = []
        return .handWorked(
            promotions: [
                alphaBoost,
                .make("laptop", .bonus, funder: "gamma", products: ["laptop"], minSpend: 20_000, bonus: 100),
                .make("lens", .stampCard, funder: "beta", partners: ["beta"], products: ["lens"], bonus: 50, every: 3),
                .make("welcome", .welcome, funder: "operator", bonus: 30),
                .make("gamma-boost", .multiplier, funder: "operator", partners: ["gamma"], multiplier: 12_000),
            ],
            redemption: ["gamma": RedemptionRules(pointValueMinor: 3)], pendingDays: ["beta": 14])
    }

    /// The bonus points of an accrual, per funder, computed from the programme's terms
    /// written out here (not from the rules' code).
    struct Model {
        var stamps: [String: Int] = [:]
        var accrued: Set<String> = []

        mutating func bonuses(_ t: Transaction, amount: Int64, base: Int64) -> [String: Int64] {
            var bonuses: [String: Int64] = [:]
            if t.partnerId == "alpha" && PromotionPropertyTests.window.contains(t.eventTimeMilliseconds) {
                bonuses["alpha", default: 0] += base / 2  // ×1.5
            }
            if t.details.product == "laptop" && amount >= 20_000 { bonuses["gamma", default: 0] += 100 }
            if t.partnerId == "beta" && t.details.product == "lens" {
                stamps[t.memberId, default: 0] += 1
                if stamps[t.memberId] == 3 {
                    stamps[t.memberId] = 0
                    bonuses["beta", default: 0] += 50
                }
            }
            if accrued.insert(t.memberId).inserted { bonuses["operator", default: 0] += 30 }
            if t.partnerId == "gamma" { bonuses["operator", default: 0] += base / 5 }  // ×1.2
            return bonuses.filter { $0.value > 0 }
        }
    }

    static func entries(seed: UInt64, count: Int) -> [LedgerEntry] {
        var random = SplitMix64(seed: seed)
        var time = Clock.t0
        var redemptions: [(partner: String, txn: String, member: String)] = []
        var cycle: Int64 = 0
        var entries: [LedgerEntry] = []
        for offset in 0..<Int64(count) {
            time += Int64(random.below(8 * 3_600_000))
            let partner = ["alpha", "beta", "gamma"][random.below(3)]
            let member = "m\(random.below(12))"
            let roll = random.below(100)
            let kind: LedgerEntry.Kind
            if roll < 2 {
                cycle += 1
                kind = .barrier(cycle: cycle, closedAtMilliseconds: time)
            } else if roll < 65 {
                var details = Transaction.Details()
                details.product = ["", "lens", "laptop"][random.below(3)]
                kind = .transaction(
                    Transaction(
                        partnerId: partner, partnerTxnId: "t\(offset)", memberId: member, eventTimeMilliseconds: time,
                        body: accrual(Int64(100 + random.below(40_000))), details: details))
            } else if roll < 92 || redemptions.isEmpty {
                kind = .transaction(
                    Transaction(
                        partnerId: partner, partnerTxnId: "t\(offset)", memberId: member, eventTimeMilliseconds: time,
                        body: .redemption(points: Int64(1 + random.below(600)))))
                redemptions.append((partner, "t\(offset)", member))
            } else {
                let r = redemptions[random.below(redemptions.count)]
                kind = .transaction(
                    Transaction(
                        partnerId: r.partner, partnerTxnId: "t\(offset)", memberId: r.member, eventTimeMilliseconds: time,
                        body: .cancel(originalPartnerTxnId: r.txn)))
            }
            entries.append(LedgerEntry(offset: offset, kind: kind))
        }
        return entries
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyPromotedOrRedeemedPointIsADebtOfItsFunder(seed: UInt64) async throws {
        let programme = Self.programme
        let entries = Self.entries(seed: seed, count: 3_000)
        let h = try Harness(programme: programme)
        let outputs = try await h.shard.applyYielding(entries, batchSize: 100)
        var model = Model()
        var promoted: [String: Int64] = [:]
        var accruals = 0
        for output in outputs {
            guard case .result(_, let t, let outcome, _, _) = output, case .accrual(let amount, _, _) = t.body,
                outcome.status == .accepted
            else { continue }
            let rate = programme.partner(t.partnerId)!.earnDefaultBasisPoints
            let base = amount * rate / 10_000 / programme.pointValueMinor
            let bonuses = model.bonuses(t, amount: amount, base: base)
            #expect(outcome.pointsDelta == base + bonuses.values.reduce(0, +), "offset of \(t.partnerTxnId)")
            for (funder, points) in bonuses { promoted[funder, default: 0] += points }
            accruals += 1
        }
        #expect(accruals > 1_000)
        // The rules over plain dictionaries (MemoryLedger) answer every transaction as the
        // shard did: bonus lots with negative ids go through the store's batch, cache and
        // lots table alike.
        var memory = MemoryLedger(programme: programme)
        var compared = 0
        for (entry, output) in zip(
            entries.filter { if case .transaction = $0.kind { true } else { false } },
            outputs.compactMap { output in
                if case .result(let offset, _, let outcome, _, _) = output { (offset, outcome) } else { nil }
            })
        {
            guard case .transaction(let t) = entry.kind else { continue }
            #expect(entry.offset == output.0)
            #expect(memory.apply(t, offset: entry.offset).0 == output.1, "offset \(entry.offset)")
            compared += 1
        }
        #expect(compared > 2_500)
        let totals = try h.shard.totals()
        func figures(_ id: String) -> PartnerTotals {
            totals.partners.first { $0.partnerId == id }
                ?? PartnerTotals(partnerId: id, issued: 0, redeemed: 0, expired: 0, clawedBack: 0, outstanding: 0, feesMinor: 0)
        }
        #expect(promoted["operator", default: 0] > 0 && promoted["alpha", default: 0] > 0 && promoted["beta", default: 0] > 0)
        var owedTo: [String: Int64] = [:]
        var net: [String: Int64] = [:]
        for debt in totals.debts {
            net[debt.payer, default: 0] -= debt.amountMinor
            net[debt.payee, default: 0] += debt.amountMinor
            if debt.payee != programme.operatorId { owedTo[debt.payee, default: 0] += debt.amountMinor }
        }
        // Settlement nets to zero.
        #expect(net.values.reduce(0, +) == 0)
        for funder in ["alpha", "beta", "gamma", "operator"] {
            let f = figures(funder)
            #expect(f.promoted == promoted[funder, default: 0], "promoted of \(funder)")
            // Points that left the funder's lots other than by expiry were redeemed (no
            // refunds here): each is one debt funder → redeemer of the programme's value.
            let spent = f.issued - f.expired - f.outstanding
            var debts = totals.debts.filter { $0.payer == funder && $0.payee != programme.operatorId }.reduce(0) { $0 + $1.amountMinor }
            // The operator also owes gamma the difference of gamma's point value (3 − 2).
            if funder == "operator" { debts -= figures("gamma").redeemed * (3 - 2) }
            #expect(debts == spent * programme.pointValueMinor, "debts of \(funder)")
        }
        // And each partner is owed its redeemed points at its settlement value.
        for partner in ["alpha", "beta", "gamma"] {
            #expect(owedTo[partner, default: 0] == figures(partner).redeemed * programme.settlementPointValueMinor(partnerId: partner))
        }
        // Replayed in other batch sizes: the same ledger, the same sealed positions.
        let digest = try h.shard.digest()
        let positions = try h.shard.positions()
        #expect(positions.count > 10)
        for size in [1, 7, 3_000] {
            let replay = try Harness(programme: programme)
            _ = try await replay.shard.applyYielding(entries, batchSize: size)
            #expect(try replay.shard.digest() == digest, "batch size \(size)")
            #expect(try replay.shard.positions() == positions, "batch size \(size)")
        }
    }
}
