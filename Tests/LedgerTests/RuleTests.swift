import Foundation
import Ledger
import Programme
import Testing

/// Hand-worked examples of every rule, applied through a shard file: the rules with the
/// store and the coordinator (`PureRuleTests` calls the rules alone). Programme.handWorked:
/// point value 2 minor units, alpha 1000 bp / fee 150 bp, beta 500 bp / fee 100 bp,
/// gamma 200 bp / no fee, 12 months.
@Suite(.timeLimit(.minutes(10)))
struct RuleTests {
    let day = Clock.day
    let t0 = Clock.t0

    @Test func accrualCreatesLotRoundsDownAndChargesFee() throws {
        let h = try Harness()
        #expect(try h.shard.nextOffset() == 0)
        // 10_001 × 1000 / 10_000 / 2 = 500.05 → 500 points; fee 10_001 × 150 / 10_000 = 150.015 → 150
        let outcome = try h.tx("alpha", "a1", at: t0, accrual(10_001))
        #expect(outcome == Outcome(status: .accepted, pointsDelta: 500, balanceAfter: 500))
        let member = try h.shard.member("m1")
        #expect(member.balance == 500)
        #expect(member.shortfall == 0)
        #expect(
            member.lots == [
                MemberView.Lot(lotId: 0, issuer: "alpha", pointsLeft: 500, expiresAtMilliseconds: Clock.at(2027, 1, 15), createdAtMilliseconds: t0)
            ])
        #expect(try h.debt("alpha", "operator") == 150)
        let alpha = try #require(try h.partnerTotals("alpha"))
        #expect(alpha.issued == 500 && alpha.outstanding == 500 && alpha.feesMinor == 150)
        #expect(try h.shard.nextOffset() == 1)
        // Too small to earn a point: accepted, no lot of 0 points.
        #expect(try h.tx("alpha", "a2", at: t0, accrual(19)).pointsDelta == 0)
        #expect(try h.shard.member("m1").lots.count == 1)
    }

    @Test func redemptionTakesEarliestExpiryAcrossIssuersWithDebts() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", at: t0, accrual(10_000))  // 500 points, expires 2027-01-15
        try h.tx("beta", "b1", at: t0 + day, accrual(12_000))  // 300 points, expires 2027-01-16
        let outcome = try h.tx("gamma", "r1", at: t0 + 2 * day, .redemption(points: 600))
        #expect(outcome == Outcome(status: .accepted, pointsDelta: -600, balanceAfter: 200))
        #expect(try h.shard.member("m1").lots.map(\.pointsLeft) == [200])
        #expect(try h.shard.member("m1").lots.map(\.issuer) == ["beta"])
        #expect(try h.debt("alpha", "gamma") == 1000)  // 500 points × 2
        #expect(try h.debt("beta", "gamma") == 200)  // 100 points × 2
        #expect(try h.debt("beta", "operator") == 120)
        #expect(try h.partnerTotals("gamma")?.redeemed == 600)
        // Redeeming at the issuer itself is recorded too (never settled).
        try h.tx("beta", "r2", at: t0 + 3 * day, .redemption(points: 50))
        #expect(try h.debt("beta", "beta") == 100)
    }

    @Test func sameExpiryTakesOldestThenLowestLot() throws {
        var programme = Programme.handWorked
        programme.expiryMonths = 0  // never: every lot expires at Int64.max
        let h = try Harness(programme: programme)
        try h.tx("beta", "b1", at: t0 + day, accrual(4000))  // 100, created later, lot 0
        try h.tx("alpha", "a1", at: t0, accrual(2000))  // 100, created earlier, lot 1
        try h.tx("gamma", "a2", at: t0, accrual(10_000))  // 100, same time as lot 1, lot 2
        try h.tx("gamma", "r1", at: t0 + 2 * day, .redemption(points: 150))
        #expect(try h.shard.member("m1").lots.map(\.lotId) == [2, 0])
        #expect(try h.shard.member("m1").lots.map(\.pointsLeft) == [50, 100])
        #expect(try h.shard.member("m1").lots.first?.expiresAtMilliseconds == Programme.neverExpires)
    }

    @Test func expiredLotsBreakBeforeRedemption() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", at: t0, accrual(10_000))  // 500, expires 2027-01-15 12:00
        try h.tx("beta", "b1", at: Clock.at(2026, 6, 1), accrual(2000))  // 50, expires 2027-06-01
        // Expiry ≤ event time: alpha's lot is not spendable, 50 are.
        let short = try h.tx("gamma", "r1", at: Clock.at(2027, 1, 15), .redemption(points: 100))
        #expect(short.status == .rejected && short.reason == .insufficientPoints)
        #expect(short.detail == "points: 100 requested, the balance is 50")
        #expect(short.balanceAfter == 50)
        // A rejection changes nothing: the lot expires with the next accepted transaction.
        #expect(try h.shard.member("m1").balance == 550)
        #expect(try h.partnerTotals("alpha")?.expired == 0)
        #expect(try h.tx("gamma", "r2", at: Clock.at(2027, 1, 15), .redemption(points: 50)).balanceAfter == 0)
        #expect(try h.partnerTotals("alpha")?.expired == 500)
        #expect(try h.partnerTotals("alpha")?.outstanding == 0)
        #expect(try h.debt("alpha", "gamma") == 0)
        #expect(try h.debt("beta", "gamma") == 100)
    }

    @Test func partialRefundsClawBackByFloorOfTheirTotal() throws {
        let h = try Harness()
        // 20_000 → 1000 points, fee 300
        try h.tx("alpha", "a1", at: t0, accrual(20_000))
        // total 3333: floor(1000 × 3333 / 20000) = 166; fee floor(300 × 3333 / 20000) = 49
        var o = try h.tx("alpha", "f1", at: t0 + day, .refund(originalPartnerTxnId: "a1", amountMinor: 3333, currency: "EUR"))
        #expect(o == Outcome(status: .accepted, pointsDelta: -166, balanceAfter: 834))
        #expect(try h.debt("alpha", "operator") == 300 - 49)
        // total 6666: 333 → 167 more; fee 99 → 50 more
        o = try h.tx("alpha", "f2", at: t0 + day, .refund(originalPartnerTxnId: "a1", amountMinor: 3333, currency: "EUR"))
        #expect(o.pointsDelta == -167 && o.balanceAfter == 667)
        #expect(try h.debt("alpha", "operator") == 300 - 99)
        // total 20000: 1000 → 667 more; fee 300 → 201 more
        o = try h.tx("alpha", "f3", at: t0 + day, .refund(originalPartnerTxnId: "a1", amountMinor: 13_334, currency: "EUR"))
        #expect(o.pointsDelta == -667 && o.balanceAfter == 0)
        #expect(try h.debt("alpha", "operator") == 0)
        let alpha = try #require(try h.partnerTotals("alpha"))
        #expect(alpha.clawedBack == 1000 && alpha.feesMinor == 0 && alpha.outstanding == 0)
        o = try h.tx("alpha", "f4", at: t0 + day, .refund(originalPartnerTxnId: "a1", amountMinor: 1, currency: "EUR"))
        #expect(o.reason == .refundExceedsOriginal)
        #expect(o.detail == "amount_minor: refunds of \"a1\" would total 20001, above its amount 20000")
    }

    @Test func refundClawsOriginalLotFirstThenOthersThenShortfall() throws {
        let h = try Harness()
        try h.tx("beta", "b1", at: t0, accrual(4000))  // lot 0: 100 (earlier expiry)
        try h.tx("alpha", "a1", at: t0 + day, accrual(4000))  // lot 1: 200, fee 60
        try h.tx("alpha", "f1", at: t0 + day, .refund(originalPartnerTxnId: "a1", amountMinor: 2000, currency: "EUR"))
        #expect(try h.shard.member("m1").lots.map(\.pointsLeft) == [100, 100])  // taken from alpha's own lot
        try h.tx("gamma", "r1", at: t0 + 2 * day, .redemption(points: 150))  // beta 100, alpha 50
        #expect(try h.debt("beta", "gamma") == 200)
        #expect(try h.debt("alpha", "gamma") == 100)
        let o = try h.tx("alpha", "f2", at: t0 + 3 * day, .refund(originalPartnerTxnId: "a1", amountMinor: 2000, currency: "EUR"))
        #expect(o == Outcome(status: .accepted, pointsDelta: -100, balanceAfter: -50))
        var member = try h.shard.member("m1")
        #expect(member.shortfall == 50 && member.balance == -50 && member.lots.isEmpty)
        #expect(try h.debt("alpha", "operator") == 0)  // 60 charged, 30 + 30 refunded
        // New points pay off the shortfall before any lot forms.
        #expect(try h.tx("beta", "b2", at: t0 + 4 * day, accrual(1600)).balanceAfter == -10)  // 40 points
        member = try h.shard.member("m1")
        #expect(member.shortfall == 10 && member.lots.isEmpty)
        #expect(try h.tx("beta", "b3", at: t0 + 4 * day, accrual(2000)).balanceAfter == 40)  // 50 points
        member = try h.shard.member("m1")
        #expect(member.shortfall == 0 && member.lots.map(\.pointsLeft) == [40])
        #expect(try h.partnerTotals("beta")?.issued == 190)
    }

    @Test func cancelRestoresExactPortionsAndReversesDebts() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", at: t0, accrual(10_000))  // 500
        try h.tx("beta", "b1", at: t0 + day, accrual(12_000))  // 300
        try h.tx("gamma", "r1", at: t0 + 2 * day, .redemption(points: 600))
        let o = try h.tx("gamma", "c1", at: t0 + 3 * day, .cancel(originalPartnerTxnId: "r1"))
        #expect(o == Outcome(status: .accepted, pointsDelta: 600, balanceAfter: 800))
        #expect(try h.shard.member("m1").lots.map(\.pointsLeft) == [500, 300])
        #expect(try h.debt("alpha", "gamma") == 0)
        #expect(try h.debt("beta", "gamma") == 0)
        #expect(try h.partnerTotals("gamma")?.redeemed == 0)
        let again = try h.tx("gamma", "c2", at: t0 + 3 * day, .cancel(originalPartnerTxnId: "r1"))
        #expect(again.reason == .alreadyReversed)
        #expect(again.detail.hasPrefix("original_partner_txn_id:"))
    }

    @Test func cancelRestoresIntoAnExpiredLotWhichExpiresAtOnce() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", at: t0, accrual(10_000))  // 500, expires 2027-01-15
        try h.tx("gamma", "r1", at: Clock.at(2027, 1, 1), .redemption(points: 200))
        // The 200 go back into the lot, due at the cancel's time: breakage with the 300 left.
        let cancel = try h.tx("gamma", "c1", at: Clock.at(2027, 2, 1), .cancel(originalPartnerTxnId: "r1"))
        #expect(cancel == Outcome(status: .accepted, pointsDelta: 0, balanceAfter: 0))
        #expect(try h.shard.member("m1").lots.isEmpty)
        #expect(try h.partnerTotals("alpha")?.expired == 500)
        #expect(try h.debt("alpha", "gamma") == 0)
        let o = try h.tx("gamma", "r2", at: Clock.at(2027, 2, 1), .redemption(points: 1))
        #expect(o.reason == .insufficientPoints)
        #expect(try h.shard.member("m1").balance == 0)
    }

    @Test func everyRejectionNamesItsFieldAndIsJournaled() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", "m1", accrual(10_000))
        try h.tx("alpha", "a9", "m2", accrual(10_000))
        try h.tx("gamma", "r1", "m1", .redemption(points: 10))
        let cases: [(String, String, String, Transaction.Body, RejectReason, String)] = [
            ("zeta", "x1", "m1", accrual(100), .unknownPartner, "partner_id: \"zeta\" is not a partner"),
            ("alpha", "x2", "", accrual(100), .invalidField, "member_id: must not be empty"),
            ("alpha", "", "m1", accrual(100), .invalidField, "partner_txn_id: must not be empty"),
            ("alpha", "x3", "m1", accrual(0), .invalidAmount, "amount_minor: must be > 0 and <= 10^12, got 0"),
            ("alpha", "x4", "m1", accrual(1_000_000_000_001), .invalidAmount, "amount_minor: must be > 0 and <= 10^12, got 1000000000001"),
            ("gamma", "x5", "m1", .redemption(points: -5), .invalidAmount, "points: must be > 0 and <= 10^12, got -5"),
            ("alpha", "x6", "m1", accrual(100, "USD"), .currencyMismatch, "currency: the programme settles in EUR, got \"USD\""),
            ("gamma", "x7", "m1", .redemption(points: 10_000), .insufficientPoints, "points: 10000 requested"),
            (
                "alpha", "x8", "m1", .refund(originalPartnerTxnId: "nope", amountMinor: 1, currency: "EUR"), .originalNotFound,
                "original_partner_txn_id: no transaction \"nope\""
            ),
            (
                "alpha", "x9", "m1", .refund(originalPartnerTxnId: "a9", amountMinor: 1, currency: "EUR"), .originalNotFound,
                "original_partner_txn_id:"
            ),
            (
                "gamma", "x10", "m1", .refund(originalPartnerTxnId: "r1", amountMinor: 1, currency: "EUR"), .wrongOriginalKind,
                "original_partner_txn_id: \"r1\" is a redemption; a refund needs an accrual"
            ),
            (
                "alpha", "x11", "m1", .cancel(originalPartnerTxnId: "a1"), .wrongOriginalKind,
                "original_partner_txn_id: \"a1\" is an accrual; a cancel needs a redemption"
            ),
            (
                "alpha", "x12", "m1", .refund(originalPartnerTxnId: "x3", amountMinor: 1, currency: "EUR"), .wrongOriginalKind,
                "original_partner_txn_id: \"x3\" was rejected"
            ),
            ("alpha", "x13", "m1", .refund(originalPartnerTxnId: "a1", amountMinor: 1, currency: "GBP"), .currencyMismatch, "currency:"),
            (
                "alpha", "x14", "m1", .refund(originalPartnerTxnId: "a1", amountMinor: 10_001, currency: "EUR"), .refundExceedsOriginal,
                "amount_minor: refunds of \"a1\" would total 10001"
            ),
            ("alpha", "x15", "m1", .cancel(originalPartnerTxnId: ""), .invalidField, "original_partner_txn_id: must not be empty"),
        ]
        let before = try h.shard.member("m1")
        for (partner, txn, member, body, reason, detail) in cases {
            let o = try h.tx(partner, txn, member, body)
            #expect(o.status == .rejected, "\(txn)")
            #expect(o.reason == reason, "\(txn): \(o.detail)")
            #expect(o.detail.hasPrefix(detail), "\(txn): \(o.detail)")
            #expect(o.pointsDelta == 0)
        }
        #expect(try h.shard.member("m1") == before)
        // A rejected transaction is journaled: its repeat is a duplicate carrying the rejection.
        let outputs = try h.run([
            .transaction(Transaction(partnerId: "alpha", partnerTxnId: "x3", memberId: "m1", eventTimeMilliseconds: t0, body: accrual(50_000)))
        ])
        guard case .result(_, _, let outcome, let original, _) = try #require(outputs.first) else { Issue.record("no result"); return }
        #expect(outcome.status == .duplicate)
        #expect(original?.reason == .invalidAmount)
        #expect(try h.shard.member("m1") == before)
        #expect(try h.shard.totals().rejected == Int64(cases.count))
    }

    @Test func duplicatesAlsoWithinOneBatchChangeNothing() throws {
        let h = try Harness()
        let first = Transaction(partnerId: "alpha", partnerTxnId: "a1", memberId: "m1", eventTimeMilliseconds: t0, body: accrual(10_000))
        var repeated = first
        repeated.body = accrual(99_999)  // a repeat is judged by its key, not its body
        let outputs = try h.run([.transaction(first), .transaction(repeated), .transaction(first)])
        #expect(outputs.count == 3)
        guard case .result(_, _, let original, nil, _) = outputs[0],
            case .result(1, _, let dup, let dupOriginal, _) = outputs[1],
            case .result(2, _, let dup2, let dup2Original, _) = outputs[2]
        else {
            Issue.record("unexpected outputs \(outputs)")
            return
        }
        #expect(dup.status == .duplicate && dup2.status == .duplicate)
        #expect(dupOriginal == original && dup2Original == original)
        #expect(dup.balanceAfter == 500 && dup.pointsDelta == 0)
        #expect(dup.detail.contains("partner_txn_id"))
        #expect(try h.shard.member("m1").balance == 500)
        #expect(try h.debt("alpha", "operator") == 150)
        // And in a later batch.
        #expect(try h.tx("alpha", "a1", accrual(10_000)).status == .duplicate)
        let totals = try h.shard.totals()
        #expect(totals.accepted == 1 && totals.duplicates == 3)
    }

    @Test func barrierSealsCycleAndRepeatedBarrierRepublishesIt() throws {
        let h = try Harness()
        let a1 = Transaction(partnerId: "alpha", partnerTxnId: "a1", memberId: "m1", eventTimeMilliseconds: t0, body: accrual(10_000))
        let closedAt = Clock.at(2027, 2, 1)
        let outputs = try h.run([
            .transaction(a1),  // 0: 500 points, fee 150
            .transaction(
                Transaction(partnerId: "beta", partnerTxnId: "r1", memberId: "m1", eventTimeMilliseconds: t0 + day, body: .redemption(points: 100))),
            .deadLetter(reason: "undecodable"),  // 2
            .transaction(a1),  // 3: duplicate
            .transaction(Transaction(partnerId: "alpha", partnerTxnId: "z", memberId: "m1", eventTimeMilliseconds: t0, body: accrual(0))),
            .barrier(cycle: 1, closedAtMilliseconds: closedAt),  // 5: lot (400 left) expired at seal
        ])
        guard case .position(let position) = try #require(outputs.last) else { Issue.record("no position"); return }
        #expect(position.cycle == 1 && position.partition == 3)
        #expect(position.firstOffset == 0 && position.barrierOffset == 5)
        #expect(position.closedAtMilliseconds == closedAt)
        #expect(position.accepted == 2 && position.rejected == 1 && position.duplicates == 1 && position.deadLetters == 1)
        #expect(
            position.debts == [
                DebtTotal(payer: "alpha", payee: "beta", amountMinor: 200), DebtTotal(payer: "alpha", payee: "operator", amountMinor: 150),
            ])
        #expect(
            position.points == [
                PartnerPoints(partnerId: "alpha", issued: 500, expired: 400, feesMinor: 150), PartnerPoints(partnerId: "beta", redeemed: 100),
            ])
        #expect(position.ledgerDigest.count == 64)
        #expect(try h.shard.member("m1").balance == 0)
        #expect(try h.shard.positions() == [position])

        // The same barrier again (redelivered, or the clearing node re-sent it): same position, no change.
        let digest = try h.shard.digest()
        let again = try h.run([.barrier(cycle: 1, closedAtMilliseconds: closedAt + 5)])
        #expect(again == [.position(position)])
        // A stale barrier of a cycle never sealed here publishes nothing.
        #expect(try h.run([.barrier(cycle: 0, closedAtMilliseconds: closedAt)]).isEmpty)
        #expect(try h.shard.positions() == [position])
        #expect(try h.shard.digest() != digest)  // only the offset moved

        try h.tx("gamma", "g1", "m2", at: closedAt, accrual(10_000))  // offset 8
        let second = try h.run([.barrier(cycle: 2, closedAtMilliseconds: closedAt + day)])
        guard case .position(let p2) = try #require(second.first) else { Issue.record("no position"); return }
        #expect(p2.firstOffset == 6 && p2.barrierOffset == 9 && p2.accepted == 1 && p2.rejected == 0)
        #expect(p2.debts.isEmpty)
        #expect(p2.points == [PartnerPoints(partnerId: "gamma", issued: 100, outstanding: 100)])  // its lot is open
        #expect(try h.shard.positions() == [position, p2])
        #expect(try h.shard.totals().accepted == 3)
    }

    @Test func inquiryAnswersAndChangesOnlyTheOffset() throws {
        let h = try Harness()
        try h.tx("alpha", "a1", accrual(10_000))
        let outputs = try h.run([.inquiry(memberId: "m1", atMilliseconds: t0 + day), .inquiry(memberId: "nobody", atMilliseconds: t0 + day)])
        #expect(outputs == [.inquiry(offset: 1, memberId: "m1", balance: 500), .inquiry(offset: 2, memberId: "nobody", balance: 0)])
        #expect(try h.shard.nextOffset() == 3)
        #expect(try h.shard.member("nobody") == MemberView(memberId: "nobody", balance: 0, shortfall: 0, lots: []))
    }
}
