import Foundation
import HTTPTypes
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@testable import Gateway

/// A company accrual at the edge (docs/programme.md, "Company accounts"), without a server:
/// what is refused before anything is published, and the company account's half derived
/// from the employee's.
@Suite("Company accruals at the edge", .timeLimit(.minutes(10)))
struct CompanyEdgeTests {
    static var programme: Programme {
        var programme = Programme.sample
        programme.companies = CompanyAccounts([
            Company(
                id: "acme", name: "Acme Ltd", accountMemberId: "co-acme", partnerIds: ["hotel"], mode: .share, shareBasisPoints: 1_000,
                employees: ["m-1"], authorisedUsers: ["u-1"])
        ])
        return programme
    }

    func envelope(partner: String = "hotel", txn: String = "h1", member: String = "m-1", company: String = "acme") -> Loyalty_V1_TransactionEnvelope {
        var envelope = Loyalty_V1_TransactionEnvelope()
        envelope.partnerID = partner
        envelope.partnerTxnID = txn
        envelope.memberID = member
        envelope.occurredAtMs = 1_790_000_000_000
        envelope.receivedAtMs = 1_790_000_000_123
        envelope.traceID = "trace-1"
        envelope.accrual = .with {
            $0.amountMinor = 10_000
            $0.currency = "EUR"
            $0.companyID = company
        }
        return envelope
    }

    func refusal(_ envelope: Loyalty_V1_TransactionEnvelope) -> EdgeError? {
        do throws(EdgeError) {
            try Gateway.checkCompany(envelope, programme: Self.programme)
            return nil
        } catch {
            return error
        }
    }

    @Test("the account's half: the same purchase, <id>#company, keyed to the company's account")
    func derivedHalf() throws {
        #expect(refusal(envelope()) == nil)
        let half = try #require(Gateway.companyHalf(of: envelope(), programme: Self.programme))
        #expect(half.partnerTxnID == "h1#company" && half.memberID == "co-acme")
        #expect(half.accrual == envelope().accrual && half.receivedAtMs == 1_790_000_000_123 && half.traceID == "trace-1")
        // Deterministic: a retried request derives the same key.
        #expect(Gateway.companyHalf(of: envelope(), programme: Self.programme) == half)
        // Nothing to derive for a plain accrual.
        #expect(Gateway.companyHalf(of: envelope(company: ""), programme: Self.programme) == nil)
        #expect(refusal(envelope(company: "")) == nil)
    }

    @Test("refused 422 before anything is published: unknown company, stranger, wrong partner, the account itself")
    func refusals() throws {
        let unknown = try #require(refusal(envelope(company: "nope")))
        #expect(
            unknown.status == .unprocessableContent && unknown.field == "accrual.company_id" && unknown.reason.hasPrefix("NOT_AUTHORISED_FOR_COMPANY")
        )
        let stranger = try #require(refusal(envelope(member: "m-9")))
        #expect(stranger.field == "member_id" && stranger.reason == "NOT_AUTHORISED_FOR_COMPANY: \"m-9\" is not an employee of company \"acme\"")
        #expect(try #require(refusal(envelope(partner: "fuel"))).reason.hasPrefix("INVALID_FIELD: company \"acme\" earns at hotel"))
        #expect(try #require(refusal(envelope(member: "co-acme"))).field == "member_id")
        let long = try #require(refusal(envelope(txn: String(repeating: "x", count: 125))))
        #expect(long.status == .badRequest && long.field == "partner_txn_id")
    }
}
