import HTTPTypes
import LoyaltyWire
import Programme

/// Company accruals at the edge (docs/programme.md, "Company accounts"). An employee's
/// accrual naming `accrual.company_id` is published twice: as sent (the employee's half,
/// keyed to the employee's partition) and, once Kafka acknowledged it, as the company
/// account's half (`<partner_txn_id>#company`, `member_id` the company's account, keyed to
/// the account's partition). Each shard prices its own half. Both are idempotent, so a
/// retried request that failed between the two publishes completes the pair.
extension Gateway {
    /// Refuses (422) a company accrual the programme does not allow, before anything is
    /// published: the shards check it again, but the account's half must not go out for a
    /// purchase the employee's shard will refuse.
    func checkCompany(_ envelope: Loyalty_V1_TransactionEnvelope) throws(EdgeError) {
        try Self.checkCompany(envelope, programme: programme)
    }

    static func checkCompany(_ envelope: Loyalty_V1_TransactionEnvelope, programme: Programme) throws(EdgeError) {
        guard case .accrual(let accrual) = envelope.body, !accrual.companyID.isEmpty else { return }
        let quoted = JSONText.quoted(accrual.companyID)
        guard let company = programme.companies.company(id: accrual.companyID) else {
            throw EdgeError(
                status: .unprocessableContent, field: "accrual.company_id",
                reason: "NOT_AUTHORISED_FOR_COMPANY: \(quoted) is not a company of programme \(programme.version)")
        }
        guard company.partnerIds.contains(envelope.partnerID) else {
            throw EdgeError(
                status: .unprocessableContent, field: "accrual.company_id",
                reason:
                    "INVALID_FIELD: company \(quoted) earns at \(company.partnerIds.joined(separator: ", ")), not at \(JSONText.quoted(envelope.partnerID))"
            )
        }
        guard envelope.memberID != company.accountMemberId else {
            throw EdgeError(
                status: .unprocessableContent, field: "member_id",
                reason: "INVALID_FIELD: send the employee's accrual; the gateway sends the company account's half itself")
        }
        guard company.employees.contains(envelope.memberID) else {
            throw EdgeError(
                status: .unprocessableContent, field: "member_id",
                reason: "NOT_AUTHORISED_FOR_COMPANY: \(JSONText.quoted(envelope.memberID)) is not an employee of company \(quoted)")
        }
        if envelope.partnerTxnID.utf8.count + Company.accountTxnSuffix.utf8.count > FieldLimits.maxIdBytes {
            throw .badRequest(
                "partner_txn_id",
                "a company accrual's id may have at most \(FieldLimits.maxIdBytes - Company.accountTxnSuffix.utf8.count) bytes: the company's half is sent as <id>\(Company.accountTxnSuffix)"
            )
        }
    }

    /// The company account's half of a company accrual (checked by `checkCompany`, already
    /// stamped), nil for any other envelope.
    static func companyHalf(of envelope: Loyalty_V1_TransactionEnvelope, programme: Programme) -> Loyalty_V1_TransactionEnvelope? {
        guard case .accrual(let accrual) = envelope.body, !accrual.companyID.isEmpty,
            let company = programme.companies.company(id: accrual.companyID)
        else { return nil }
        var half = envelope
        half.partnerTxnID = envelope.partnerTxnID + Company.accountTxnSuffix
        half.memberID = company.accountMemberId
        half.cardID = ""
        return half
    }

    /// Publishes the company account's half after the employee's was acknowledged.
    func publishCompanyHalf(_ envelope: Loyalty_V1_TransactionEnvelope) async throws(EdgeError) {
        guard let half = Self.companyHalf(of: envelope, programme: programme) else { return }
        _ = try await publish(half)
    }
}
