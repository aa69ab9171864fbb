import Foundation
import Testing

@testable import Ledger
@testable import Programme

/// Issue 13, item 3: pending points, hand-worked. The pharmacy holds its accruals 14 days
/// (its return window); everyone earns 10 %, no fee, a point is 1 minor unit; points expire
/// 24 months after earning.
@Suite(.timeLimit(.minutes(10)))
struct PendingPointsTests {
    static let programme = ExpiryPolicyTests.programme(.monthsAfterEarning(months: 24), pendingDays: ["pharmacy": 14])

    @Test func pendingPointsAreNotSpendableBeforeTheirRelease() throws {
        let h = try Harness(programme: Self.programme)
        // 1 January 12:00: 100 pharmacy points, pending until 15 January 12:00.
        let (earned, facts) = try h.txFacts("pharmacy", "p1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))
        #expect(earned == Outcome(status: .accepted, pointsDelta: 100, balanceAfter: 0))
        #expect(facts.pendingPoints == 100)
        #expect(try h.shard.member("m1").lots.map(\.availableAtMilliseconds) == [Clock.at(2026, 1, 15)])
        #expect(try h.tx("fuel", "f1", at: Clock.at(2026, 1, 2), ExpiryTests.earn(30)).balanceAfter == 30)
        // 10 January: 50 is more than the 30 spendable; 20 come from the fuel lot alone.
        let refused = try h.tx("cinema", "c1", at: Clock.at(2026, 1, 10), .redemption(points: 50))
        #expect(refused.status == .rejected && refused.reason == .insufficientPoints && refused.balanceAfter == 30)
        let (spent, spentFacts) = try h.txFacts("cinema", "c2", at: Clock.at(2026, 1, 10), .redemption(points: 20))
        #expect(spent == Outcome(status: .accepted, pointsDelta: -20, balanceAfter: 10))
        #expect(spentFacts.pendingPoints == 100)
        #expect(try h.debt("fuel", "cinema") == 20 && h.debt("pharmacy", "cinema") == 0)
        // The balance answer: 10 to spend, 100 pending.
        let answer = try h.inquiry("m1", at: Clock.at(2026, 1, 10))
        #expect(answer.balance == 10 && answer.facts.pendingPoints == 100)
        // One millisecond before the release still pending; at the release spendable.
        #expect(try h.inquiry("m1", at: Clock.at(2026, 1, 15) - 1).balance == 10)
        let released = try h.tx("cinema", "c3", at: Clock.at(2026, 1, 15), .redemption(points: 50))
        #expect(released == Outcome(status: .accepted, pointsDelta: -50, balanceAfter: 60))
        #expect(try h.debt("pharmacy", "cinema") == 50)
        #expect(try h.inquiry("m1", at: Clock.at(2026, 1, 15)).facts.pendingPoints == 0)
        #expect(try h.shard.member("m1").lots.map(\.pointsLeft) == [50, 10])
    }

    @Test func aRefundInsideTheWindowCancelsThePendingPointsWithoutAShortfall() throws {
        let h = try Harness(programme: Self.programme)
        try h.tx("pharmacy", "p1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))  // 1,000 minor units
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 2), ExpiryTests.earn(30))
        // Half returned on 5 January: 50 pending points go, the fuel points stay.
        let half = try h.tx("pharmacy", "p2", at: Clock.at(2026, 1, 5), .refund(originalPartnerTxnId: "p1", amountMinor: 500, currency: "EUR"))
        #expect(half == Outcome(status: .accepted, pointsDelta: -50, balanceAfter: 30))
        #expect(try h.inquiry("m1", at: Clock.at(2026, 1, 5)).facts.pendingPoints == 50)
        // The rest on 10 January: nothing pending, no shortfall, the fuel lot untouched.
        let rest = try h.tx("pharmacy", "p3", at: Clock.at(2026, 1, 10), .refund(originalPartnerTxnId: "p1", amountMinor: 500, currency: "EUR"))
        #expect(rest == Outcome(status: .accepted, pointsDelta: -50, balanceAfter: 30))
        let member = try h.shard.member("m1")
        #expect(member.shortfall == 0 && member.balance == 30 && member.lots.map(\.issuer) == ["fuel"])
        #expect(try h.partnerTotals("pharmacy")?.clawedBack == 100)
        #expect(try h.inquiry("m1", at: Clock.at(2026, 1, 10)).facts.pendingPoints == 0)
    }

    @Test func pendingPointsExpireByEarningWhenTheirExpiryComesFirst() throws {
        // End of the month of earning, and a 14-day window: points earned on 25 January
        // expire on 1 February, before their release on 8 February.
        let programme = ExpiryPolicyTests.programme(.endOfMonth(months: 0), pendingDays: ["pharmacy": 14])
        let h = try Harness(programme: programme)
        try h.tx("pharmacy", "p1", at: Clock.at(2026, 1, 25), ExpiryTests.earn(100))
        let outputs = try h.run([.barrier(cycle: 1, closedAtMilliseconds: ExpiryPolicyTests.midnight(2026, 2, 1))])
        #expect(ExpiryPolicyTests.expired(outputs, "pharmacy") == 100)
        let answer = try h.inquiry("m1", at: Clock.at(2026, 2, 2))
        #expect(answer.balance == 0 && answer.facts.pendingPoints == 0)
    }

    @Test func pendingPointsPayOffAShortfallAtOnce() throws {
        let h = try Harness(programme: Self.programme)
        try h.tx("fuel", "f1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))
        try h.tx("cinema", "c1", at: Clock.at(2026, 1, 2), .redemption(points: 100))
        // The fuel purchase is returned after its points were spent: a shortfall of 100.
        try h.tx("fuel", "f2", at: Clock.at(2026, 1, 3), .refund(originalPartnerTxnId: "f1", amountMinor: 1000, currency: "EUR"))
        #expect(try h.shard.member("m1").shortfall == 100)
        // 150 pharmacy points: 100 pay the shortfall now, 50 form a lot pending to 18 January.
        let (earned, facts) = try h.txFacts("pharmacy", "p1", at: Clock.at(2026, 1, 4), ExpiryTests.earn(150))
        #expect(earned == Outcome(status: .accepted, pointsDelta: 150, balanceAfter: 0))
        #expect(facts.pendingPoints == 50)
        #expect(try h.shard.member("m1").shortfall == 0)
        #expect(try h.inquiry("m1", at: Clock.at(2026, 1, 18)).balance == 50)
    }

    @Test func withoutAnyWindowNothingChanges() throws {
        let h = try Harness(programme: ExpiryTests.sixMonths)
        let (earned, facts) = try h.txFacts("pharmacy", "p1", at: Clock.at(2026, 1, 1), ExpiryTests.earn(100))
        #expect(earned.balanceAfter == 100 && facts == MemberFacts())
        #expect(try h.shard.member("m1").lots.map(\.availableAtMilliseconds) == [OpenLot.availableAtOnce])
    }
}

extension Harness {
    /// Applies one transaction and returns its outcome and the facts its result carries.
    func txFacts(
        _ partner: String, _ txnId: String, _ member: String = "m1", at time: Int64, _ body: Transaction.Body
    ) throws -> (Outcome, MemberFacts) {
        let transaction = Transaction(partnerId: partner, partnerTxnId: txnId, memberId: member, eventTimeMilliseconds: time, body: body)
        let outputs = try run([.transaction(transaction)])
        guard case .result(_, _, let outcome, _, let facts) = try #require(outputs.first) else {
            Issue.record("expected a result, got \(outputs)")
            return (Outcome(status: .rejected), MemberFacts())
        }
        return (outcome, facts)
    }
}
