import Foundation
import Ledger
import Programme
import PropertyBased
import Testing

/// Random per-member histories, checked against the ledger's invariants and against
/// `ReferenceLedger`, a slow model of the same rules.
@Suite(.timeLimit(.minutes(10)))
struct PropertyTests {
    /// One generated step: what to do, to whom, how much, how much later.
    struct Step: Sendable, CustomStringConvertible {
        var kind: Int
        var member: Int
        var partner: Int
        var magnitude: Int
        var days: Int
        var reference: Int
        var description: String { "(\(kind),\(member),\(partner),\(magnitude),\(days),\(reference))" }
    }

    /// `days` up to 20 between steps against lots that expire after one month: lots
    /// expire all the time, and reversals and shortfalls cross expiry dates.
    static let steps = zip(
        Gen.int(in: 0...5), Gen.int(in: 0...2), Gen.int(in: 0...2), Gen.int(in: 1...20_000), Gen.int(in: 0...20), Gen.int(in: 0...1000)
    ).map { Step(kind: $0.0, member: $0.1, partner: $0.2, magnitude: $0.3, days: $0.4, reference: $0.5) }
        .array(of: 1...60)

    /// The hand-worked programme with lots expiring after one month.
    static var shortExpiry: Programme {
        var programme = Programme.handWorked
        programme.expiryMonths = 1
        return programme
    }

    /// Builds transactions from steps: refunds name an earlier accrual and cancels an
    /// earlier redemption (usually of the right partner and member; sometimes any earlier
    /// transaction, or another partner's or member's), some ids repeat.
    static func transactions(_ steps: [Step], programme: Programme) -> [Transaction] {
        var made: [Transaction] = []
        var time = Clock.t0
        for (index, step) in steps.enumerated() {
            time += Int64(step.days) * Clock.day
            var partner = programme.partners[step.partner].id
            var member = "m\(step.member)"
            var txn = "t\(index)"
            let body: Transaction.Body
            switch step.kind {
            case 0, 1:
                body = .accrual(amountMinor: Int64(step.magnitude), currency: "EUR", category: "any")
            case 2:
                body = .redemption(points: Int64(step.magnitude / 20 + 1))
            case 3 where !made.isEmpty, 4 where !made.isEmpty:
                let wanted = made.filter {
                    switch $0.body {
                    case .accrual: step.kind == 3
                    case .redemption: step.kind == 4
                    default: false
                    }
                }
                let pool = wanted.isEmpty || step.reference % 8 == 1 ? made : wanted
                let original = pool[step.reference % pool.count]
                if step.reference % 4 != 0 {
                    partner = original.partnerId
                    member = original.memberId
                }
                body =
                    step.kind == 3
                    ? .refund(originalPartnerTxnId: original.partnerTxnId, amountMinor: Int64(step.magnitude / 4 + 1), currency: "EUR")
                    : .cancel(originalPartnerTxnId: original.partnerTxnId)
            default:
                if made.isEmpty {
                    body = .redemption(points: 1)
                } else {
                    // Repeat an earlier transaction verbatim: a duplicate.
                    let original = made[step.reference % made.count]
                    (partner, member, txn) = (original.partnerId, original.memberId, original.partnerTxnId)
                    body = original.body
                }
            }
            made.append(Transaction(partnerId: partner, partnerTxnId: txn, memberId: member, eventTimeMilliseconds: time, body: body))
        }
        return made
    }

    @Test func randomHistoriesKeepInvariantsAndMatchTheReference() async {
        let programme = Self.shortExpiry
        await propertyCheck(count: 150, input: Self.steps) { steps in
            let transactions = Self.transactions(steps, programme: programme)
            let h = try Harness(programme: programme)
            // Uneven batches, to keep batch boundaries honest too.
            var outputs: [LedgerOutput] = []
            var start = 0
            while start < transactions.count {
                let end = min(transactions.count, start + 1 + (start * 7) % 5)
                outputs += try h.run(transactions[start..<end].map { .transaction($0) })
                start = end
            }
            let outcomes = outputs.map { output -> (Outcome, Outcome?) in
                guard case .result(_, _, let outcome, let original, _) = output else { return (Outcome(status: .rejected), nil) }
                return (outcome, original)
            }
            let totals = try h.shard.totals()
            var redeemed: [String: Int64] = [:]
            var expired: [String: Int64] = [:]
            for partner in totals.partners { (redeemed[partner.partnerId], expired[partner.partnerId]) = (partner.redeemed, partner.expired) }
            try Self.expectReference(
                transactions, outcomes, programme: programme, member: { try h.shard.member($0) }, debts: totals.debts,
                redeemed: redeemed, expired: expired)
        }
    }

    /// The same histories through the rules alone (`MemoryLedger`: plain values, no file).
    @Test func theRulesAloneMatchTheReference() async {
        let programme = Self.shortExpiry
        await propertyCheck(count: 300, input: Self.steps) { steps in
            let transactions = Self.transactions(steps, programme: programme)
            var ledger = MemoryLedger(programme: programme)
            let outcomes = transactions.enumerated().map { ledger.apply($1, offset: Int64($0)) }
            try Self.expectReference(
                transactions, outcomes, programme: programme, member: { ledger.view($0) }, debts: ledger.debtTotals,
                redeemed: ledger.stats.mapValues(\.redeemed), expired: ledger.stats.mapValues(\.expired))
        }
    }

    /// Checks a ledger's outcomes, members, debts and statistics against `ReferenceLedger`
    /// and the invariants: lots add up to balances, each redeemed point one debt.
    static func expectReference(
        _ transactions: [Transaction], _ outcomes: [(Outcome, Outcome?)], programme: Programme, member: (String) throws -> MemberView,
        debts: [DebtTotal], redeemed: [String: Int64], expired: [String: Int64]
    ) throws {
        var reference = ReferenceLedger(programme: programme)
        for (offset, t) in transactions.enumerated() {
            let expected = reference.apply(t, offset: Int64(offset))
            let (actual, original) = outcomes[offset]
            #expect(actual.status == expected.status, "offset \(offset) \(t): \(actual.detail)")
            #expect(actual.reason == expected.reason, "offset \(offset) \(t): \(actual.detail)")
            #expect(actual.pointsDelta == expected.pointsDelta, "offset \(offset) \(t)")
            #expect(actual.balanceAfter == expected.balanceAfter, "offset \(offset) \(t)")
            #expect((original != nil) == (actual.status == .duplicate))
        }
        let pointValue = programme.pointValueMinor
        for (memberId, model) in reference.members {
            let view = try member(memberId)
            // Lots add up to the balance, the shortfall accounted; none below zero.
            #expect(view.lots.reduce(0) { $0 + $1.pointsLeft } - view.shortfall == view.balance)
            #expect(view.lots.allSatisfy { $0.pointsLeft > 0 })
            #expect(view.shortfall >= 0 && (view.shortfall == 0 || view.lots.isEmpty))
            #expect(view.balance == model.balance, "member \(memberId)")
            #expect(view.shortfall == model.shortfall, "member \(memberId)")
            let modelLots = model.lots.filter { $0.left > 0 }.sorted { ($0.expires, $0.created, $0.id) < ($1.expires, $1.created, $1.id) }
            #expect(view.lots.map(\.lotId) == modelLots.map(\.id), "member \(memberId)")
            #expect(view.lots.map(\.pointsLeft) == modelLots.map(\.left), "member \(memberId)")
        }
        let partnerIds = Set(programme.partners.map(\.id))
        for partner in programme.partners {
            // Each redeemed point made exactly one debt from its issuer …
            let owedByIssuer = debts.filter { $0.payer == partner.id && partnerIds.contains($0.payee) }.reduce(0) { $0 + $1.amountMinor }
            #expect(owedByIssuer == reference.redeemedFrom[partner.id, default: 0] * pointValue, "issuer \(partner.id)")
            // … and each partner is owed the value of the points redeemed at it.
            let owedToRedeemer = debts.filter { $0.payee == partner.id }.reduce(0) { $0 + $1.amountMinor }
            #expect(owedToRedeemer == redeemed[partner.id, default: 0] * pointValue, "redeemer \(partner.id)")
            #expect(expired[partner.id, default: 0] == reference.expiredFrom[partner.id, default: 0], "breakage of \(partner.id)")
        }
        let modelDebts = reference.debts.map { key, amount -> DebtTotal in
            let parts = key.split(separator: ">").map(String.init)
            return DebtTotal(payer: parts[0], payee: parts[1], amountMinor: amount)
        }.sorted()
        #expect(debts == modelDebts)
    }
}
