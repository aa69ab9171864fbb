import Foundation
import Programme
import Testing

@testable import Ledger

extension Programme {
    /// `withExchange` with two companies: acme (10 % of its employees m1 and m2's purchases at
    /// alpha, spent by u-1) and tour (the whole of m3's bookings at beta).
    static var withCompanies: Programme {
        var programme = Programme.withExchange
        programme.companies = CompanyAccounts([
            Company(
                id: "acme", name: "Acme Ltd", accountMemberId: "co-acme", partnerIds: ["alpha"], mode: .share, shareBasisPoints: 1_000,
                employees: ["m1", "m2"], authorisedUsers: ["u-1"]),
            Company(id: "tour", name: "Tour SA", accountMemberId: "co-tour", partnerIds: ["beta"], mode: .wholeBooking, employees: ["m3"]),
        ])
        return programme
    }
}

func company(_ id: String) -> Transaction.Details {
    var details = Transaction.Details()
    details.companyId = id
    return details
}

func authorised(_ user: String) -> Transaction.Details {
    var details = Transaction.Details()
    details.authorisedUser = user
    return details
}

/// Company accounts worked by hand (docs/programme.md, "Company accounts"). Both halves of
/// a purchase run through one shard here; in the coalition each is applied by its member's
/// shard. Point value 2; alpha earns 10 % with a 1.5 % fee, beta 5 % with 1 %.
@Suite(.timeLimit(.minutes(10))) struct CompanyTests {
    @Test func aShareSplitsThePointsAndTheFeeIsChargedOnce() throws {
        let h = try Harness(programme: .withCompanies)
        // 100,000 cents: the employee earns on 90,000 (4,500 points, fee 1,350), the company
        // account on 10,000 (500 points, fee 150): 1,500 in all, the fee on the whole.
        let employee = try h.tx("alpha", "a1", "m1", accrual(100_000), details: company("acme"))
        #expect(employee.status == .accepted && employee.pointsDelta == 4_500)
        let account = try h.tx("alpha", "a1" + Company.accountTxnSuffix, "co-acme", accrual(100_000), details: company("acme"))
        #expect(account.status == .accepted && account.pointsDelta == 500 && account.balanceAfter == 500)
        #expect(try h.debt("alpha", "operator") == 1_500)
        #expect(try h.partnerTotals("alpha")?.issued == 5_000)
        // A retried half is a duplicate: nothing is credited twice.
        #expect(try h.tx("alpha", "a1" + Company.accountTxnSuffix, "co-acme", accrual(100_000), details: company("acme")).status == .duplicate)
        #expect(try h.shard.member("co-acme").balance == 500)
    }

    @Test func aWholeBookingCreditsOnlyTheCompany() throws {
        let h = try Harness(programme: .withCompanies)
        let booker = try h.tx("beta", "b1", "m3", accrual(100_000), details: company("tour"))
        #expect(booker.status == .accepted && booker.pointsDelta == 0 && booker.balanceAfter == 0)
        // 100,000 × 5 % / 2 = 2,500 points; the fee 1 % of the whole booking.
        let account = try h.tx("beta", "b1" + Company.accountTxnSuffix, "co-tour", accrual(100_000), details: company("tour"))
        #expect(account.pointsDelta == 2_500)
        #expect(try h.debt("beta", "operator") == 1_000)
        #expect(try h.shard.member("m3").balance == 0)
    }

    @Test func onlyEmployeesAtTheCompanysPartnersEarnForIt() throws {
        let h = try Harness(programme: .withCompanies)
        let stranger = try h.tx("alpha", "a1", "m9", accrual(100_000), details: company("acme"))
        #expect(stranger.reason == .notAuthorisedForCompany && stranger.detail == "member_id: \"m9\" is not an employee of company \"acme\"")
        let unknown = try h.tx("alpha", "a2", "m1", accrual(100_000), details: company("nope"))
        #expect(unknown.reason == .notAuthorisedForCompany && unknown.detail == "company_id: \"nope\" is not a company of programme test")
        let elsewhere = try h.tx("beta", "b1", "m1", accrual(100_000), details: company("acme"))
        #expect(elsewhere.reason == .invalidField && elsewhere.detail == "company_id: company \"acme\" earns at alpha, not at \"beta\"")
        // The account earns only through company_id.
        let plain = try h.tx("alpha", "a3", "co-acme", accrual(100_000))
        #expect(plain.reason == .invalidField && plain.detail.hasPrefix("member_id: \"co-acme\" is company \"acme\"'s account"))
        // A bad amount is named as it was sent, before the company checks.
        #expect(try h.tx("alpha", "a4", "m9", accrual(0), details: company("acme")).reason == .invalidAmount)
        #expect(try h.debt("alpha", "operator") == 0)
    }

    @Test func onlyAuthorisedUsersSpendTheCompanyAccount() throws {
        let h = try Harness(programme: .withCompanies)
        try h.tx("alpha", "a1", "m1", accrual(100_000), details: company("acme"))
        try h.tx("alpha", "a1#company", "co-acme", accrual(100_000), details: company("acme"))
        let nobody = try h.tx("gamma", "g1", "co-acme", .redemption(points: 100))
        #expect(nobody.reason == .notAuthorisedForCompany && nobody.balanceAfter == 500)
        #expect(nobody.detail == "authorised_user: \"co-acme\" is company \"acme\"'s account; a redemption from it must name an authorised user")
        let intruder = try h.tx("gamma", "g2", "co-acme", .redemption(points: 100), details: authorised("u-2"))
        #expect(
            intruder.reason == .notAuthorisedForCompany && intruder.detail == "authorised_user: \"u-2\" is not an authorised user of company \"acme\""
        )
        let spent = try h.tx("gamma", "g3", "co-acme", .redemption(points: 100), details: authorised("u-1"))
        #expect(spent.status == .accepted && spent.balanceAfter == 400)
        // An authorised user on a person's redemption is refused, not ignored.
        let person = try h.tx("gamma", "g4", "m1", .redemption(points: 100), details: authorised("u-1"))
        #expect(person.reason == .invalidField && person.detail.hasPrefix("authorised_user: only a redemption from a company account"))
        #expect(try h.debt("alpha", "gamma") == 200)
    }

    /// Company halves, a whole booking, refusals and a spend, in batches of 1, 4 and all at
    /// once: the same ledger.
    @Test func replayInAnyBatchSizeGivesTheSameLedger() async throws {
        var entries: [LedgerEntry] = []
        func tx(_ partner: String, _ id: String, _ member: String, _ body: Transaction.Body, _ details: Transaction.Details = .init()) {
            let t = Transaction(partnerId: partner, partnerTxnId: id, memberId: member, eventTimeMilliseconds: Clock.t0, body: body, details: details)
            entries.append(LedgerEntry(offset: Int64(entries.count), kind: .transaction(t)))
        }
        for n in 0..<5 {
            tx("alpha", "a\(n)", n % 2 == 0 ? "m1" : "m2", accrual(Int64(10_000 + 999 * n)), company("acme"))
            tx("alpha", "a\(n)#company", "co-acme", accrual(Int64(10_000 + 999 * n)), company("acme"))
            tx("beta", "b\(n)", "m3", accrual(Int64(20_000 + 7 * n)), company("tour"))
            tx("beta", "b\(n)#company", "co-tour", accrual(Int64(20_000 + 7 * n)), company("tour"))
            tx("alpha", "x\(n)", "m9", accrual(1_000), company("acme"))
            tx("gamma", "g\(n)", "co-acme", .redemption(points: 10), authorised(n == 3 ? "u-9" : "u-1"))
        }
        entries.append(LedgerEntry(offset: Int64(entries.count), kind: .barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + Clock.day)))
        var digests: Set<String> = []
        for size in [1, 4, entries.count] {
            let h = try Harness(programme: .withCompanies)
            _ = try await h.shard.applyYielding(entries, batchSize: size)
            digests.insert(try h.shard.digest())
        }
        #expect(digests.count == 1)
    }
}
