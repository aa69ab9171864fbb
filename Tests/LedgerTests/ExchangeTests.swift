import Foundation
import Programme
import SQLite
import Testing

@testable import Ledger

extension Programme {
    /// `handWorked` (point value 2; alpha earns 10 %) with an exchange partner `air`
    /// (1,000-point blocks give 400 miles) and the operator's catalogue `shop`.
    static var withExchange: Programme {
        let base = Programme.handWorked
        var air = Partner(
            id: "air", name: "Air", earnDefaultBasisPoints: 100, operatorFeeBasisPoints: 0, iban: "DE89370400440532013000",
            bic: "COBADEFFXXX")
        air.kind = .exchange
        air.exchange = ExchangeTerms(blockPoints: 1_000, milesPerBlock: 400)
        var shop = Partner(
            id: "shop", name: "Catalogue", earnDefaultBasisPoints: 100, operatorFeeBasisPoints: 0, iban: "DE89370400440532013000",
            bic: "COBADEFFXXX")
        shop.kind = .catalogue
        return Programme(
            version: base.version, currency: base.currency, currencyExponent: base.currencyExponent, pointValueMinor: base.pointValueMinor,
            expiryMonths: base.expiryMonths, maxCardsPerAccount: base.maxCardsPerAccount, operatorAccount: base.operatorAccount,
            floors: base.floors, partners: base.partners + [air, shop])
    }
}

func external(_ id: String) -> Transaction.Details {
    var details = Transaction.Details()
    details.externalMemberId = id
    return details
}

/// Catalogue and exchange partners worked by hand through a shard (docs/programme.md,
/// "Catalogue and exchange partners"). m1 holds 10,000 points of alpha's (200,000 cents at 10 %,
/// point value 2).
@Suite(.timeLimit(.minutes(10))) struct ExchangeTests {
    func harness() throws -> Harness {
        let h = try Harness(programme: .withExchange)
        try h.tx("alpha", "a1", accrual(200_000))
        return h
    }

    @Test func aConversionIsWholeBlocksForAnExternalMember() throws {
        let h = try harness()
        let missing = try h.tx("air", "x1", .redemption(points: 2_000))
        #expect(missing.reason == .missingExternalMemberId && missing.balanceAfter == 10_000)
        #expect(missing.detail == "external_member_id: a conversion at \"air\" needs the member's id in its programme to credit the miles")
        let partial = try h.tx("air", "x2", .redemption(points: 1_500), details: external("FF-77"))
        #expect(partial.reason == .notAConversionBlock)
        #expect(partial.detail == "points: 1500 is not a whole number of \"air\"'s 1000-point blocks (at least one block)")
        #expect(try h.tx("air", "x3", .redemption(points: 999), details: external("FF-77")).reason == .notAConversionBlock)
        // The blocks are checked before the balance: 20,000 is 20 blocks but more than m1 has.
        #expect(try h.tx("air", "x4", .redemption(points: 20_500), details: external("FF-77")).reason == .notAConversionBlock)
        #expect(try h.tx("air", "x5", .redemption(points: 20_000), details: external("FF-77")).reason == .insufficientPoints)
        let converted = try h.tx("air", "x6", .redemption(points: 3_000), details: external("FF-77"))
        #expect(converted.status == .accepted && converted.pointsDelta == -3_000 && converted.balanceAfter == 7_000)
        // The ordinary redemption's money: the issuer owes the exchange partner 3,000 × 2.
        #expect(try h.debt("alpha", "air") == 6_000)
        #expect(try h.partnerTotals("air")?.redeemed == 3_000)
    }

    @Test func aConversionCannotBeCancelled() throws {
        let h = try harness()
        try h.tx("air", "x1", .redemption(points: 2_000), details: external("FF-77"))
        let cancel = try h.tx("air", "c1", .cancel(originalPartnerTxnId: "x1"))
        #expect(cancel.reason == .wrongOriginalKind && cancel.balanceAfter == 8_000)
        #expect(cancel.detail.contains("is a conversion at exchange partner \"air\""))
        #expect(try h.debt("alpha", "air") == 4_000)
        // A missing original is still reported as such.
        #expect(try h.tx("air", "c2", .cancel(originalPartnerTxnId: "nope")).reason == .originalNotFound)
    }

    @Test func externalMemberIdOnlyAtAnExchangePartner() throws {
        let h = try harness()
        let misrouted = try h.tx("beta", "b1", .redemption(points: 100), details: external("FF-77"))
        #expect(misrouted.reason == .invalidField && misrouted.detail.hasPrefix("external_member_id: only a conversion"))
        #expect(try h.tx("beta", "b2", .redemption(points: 100)).status == .accepted)
    }

    @Test func anExchangePartnerNeverIssues() throws {
        let h = try harness()
        let accrual = try h.tx("air", "a9", accrual(10_000))
        #expect(accrual.reason == .invalidField && accrual.balanceAfter == 10_000)
        #expect(accrual.detail == "partner_id: \"air\" is an exchange partner: it converts points into its own and never issues them")
    }

    @Test func theCatalogueTakesPointsAndNeverIssuesThem() throws {
        let h = try harness()
        let accrual = try h.tx("shop", "s1", accrual(10_000))
        #expect(accrual.reason == .invalidField && accrual.balanceAfter == 10_000)
        #expect(accrual.detail == "partner_id: \"shop\" is the operator's reward catalogue: it takes points and never issues them")
        #expect(try h.tx("shop", "s2", .redemption(points: 300)).balanceAfter == 9_700)
        // Issuers owe the catalogue like any redeeming partner; it issued nothing.
        #expect(try h.debt("alpha", "shop") == 600)
        let totals = try #require(try h.partnerTotals("shop"))
        #expect(totals.redeemed == 300 && totals.issued == 0)
    }

    @Test func theSealCarriesTheCyclesConversionsAndARestartRepublishesThem() throws {
        let h = try harness()
        try h.tx("air", "x1", "m1", .redemption(points: 2_000), details: external("FF-77"))
        try h.tx("alpha", "a2", "m2", accrual(100_000))
        try h.tx("air", "x2", "m2", .redemption(points: 5_000), details: external("FF-12"))
        try h.tx("air", "x3", "m2", .redemption(points: 100), details: external("FF-12"))  // refused: not a block
        let barrier = LedgerEntry.Kind.barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + Clock.day)
        let position = try #require(try h.run([barrier]).compactMap { if case .position(let p) = $0 { p } else { nil } }.first)
        #expect(
            position.conversions == [
                Conversion(partnerId: "air", partnerTxnId: "x1", memberId: "m1", externalMemberId: "FF-77", points: 2_000, miles: 800, offset: 1),
                Conversion(partnerId: "air", partnerTxnId: "x2", memberId: "m2", externalMemberId: "FF-12", points: 5_000, miles: 2_000, offset: 3),
            ])
        // The next cycle starts empty.
        try h.tx("air", "x4", "m1", at: Clock.t0 + 2 * Clock.day, .redemption(points: 1_000), details: external("FF-77"))
        try h.reopen()
        let again = try #require(try h.run([barrier]).compactMap { if case .position(let p) = $0 { p } else { nil } }.first)
        #expect(again == position)
        let next = LedgerEntry.Kind.barrier(cycle: 2, closedAtMilliseconds: Clock.t0 + 3 * Clock.day)
        let second = try #require(try h.run([next]).compactMap { if case .position(let p) = $0 { p } else { nil } }.first)
        #expect(second.conversions.map(\.partnerTxnId) == ["x4"] && second.conversions.first?.miles == 400)
    }

    /// The conversions table is ledger content: the full digest reads it, and the chained
    /// digest of the cycle covers what each conversion recorded.
    @Test func conversionsAreInTheDigests() throws {
        let a = try harness()
        let b = try harness()
        for h in [a, b] { try h.tx("air", "x1", .redemption(points: 2_000), details: external("FF-77")) }
        #expect(try a.shard.digest() == b.shard.digest())
        try b.shard.db.execute("UPDATE conversions SET miles = miles + 1")
        #expect(try a.shard.digest() != b.shard.digest())
        // A different external id gives a different chained digest of the cycle.
        let c = try harness()
        try c.tx("air", "x1", .redemption(points: 2_000), details: external("FF-78"))
        let barrier = LedgerEntry.Kind.barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + Clock.day)
        let sealed = { (h: Harness) in try h.run([barrier]).compactMap { if case .position(let p) = $0 { p.ledgerDigest } else { nil } }.first }
        #expect(try sealed(a) != sealed(c))
    }

    /// The same log in batches of 1, 3 and all at once: the same ledger (digest) and the
    /// same positions, conversions included.
    @Test func replayInAnyBatchSizeGivesTheSameLedger() async throws {
        var entries: [LedgerEntry] = []
        func add(_ kind: LedgerEntry.Kind) { entries.append(LedgerEntry(offset: Int64(entries.count), kind: kind)) }
        func tx(_ partner: String, _ id: String, _ member: String, _ day: Int64, _ body: Transaction.Body, _ ext: String = "") {
            add(
                .transaction(
                    Transaction(
                        partnerId: partner, partnerTxnId: id, memberId: member, eventTimeMilliseconds: Clock.t0 + day * Clock.day, body: body,
                        details: ext.isEmpty ? Transaction.Details() : external(ext))))
        }
        for m in 0..<6 { tx("alpha", "a\(m)", "m\(m)", 0, accrual(Int64(100_000 + 20_000 * m))) }
        for m in 0..<6 {
            tx("air", "x\(m)", "m\(m)", 1, .redemption(points: Int64(1_000 * (m + 1))), "EXT-\(m)")
            tx("shop", "s\(m)", "m\(m)", 1, .redemption(points: 10))
            tx("shop", "sa\(m)", "m\(m)", 1, accrual(500))  // refused
        }
        add(.barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + 2 * Clock.day))
        for m in 0..<6 { tx("air", "y\(m)", "m\(m)", 3, .redemption(points: 1_000), "EXT-\(m)") }
        tx("air", "c0", "m0", 3, .cancel(originalPartnerTxnId: "x0"))  // refused
        add(.barrier(cycle: 2, closedAtMilliseconds: Clock.t0 + 4 * Clock.day))
        var digests: Set<String> = []
        var positions: [[CyclePosition]] = []
        for size in [1, 3, entries.count] {
            let h = try Harness(programme: .withExchange)
            let outputs = try await h.shard.applyYielding(entries, batchSize: size)
            digests.insert(try h.shard.digest())
            positions.append(outputs.compactMap { if case .position(let p) = $0 { p } else { nil } })
        }
        #expect(digests.count == 1)
        #expect(positions.allSatisfy { $0 == positions[0] })
        // m holds 5,000 + 1,000 m points: every conversion is accepted, the cancel refused.
        #expect(positions[0].map { $0.conversions.count } == [6, 6])
    }
}
