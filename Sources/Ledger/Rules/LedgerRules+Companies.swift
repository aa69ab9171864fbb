import Programme

/// Company accounts (docs/programme.md, "Company accounts"; the programme side in
/// Companies.swift).
///
/// - An accrual with `company_id` is one half of a purchase the company shares in. On the
///   employee's shard (its member is one of the company's employees) it earns on the
///   employee's part of the amount; on the company account's shard (its member is the
///   company's `account_member_id`; the gateway's derived message) on the company's part.
///   The parts add up to the amount, so points and fee are charged once in all (each half
///   rounded down on its own). A half whose part is 0 (the booker of a whole booking, or a
///   share that rounds to nothing) is accepted with no points, no lot and no fee: the
///   purchase is on the member's record.
/// - An unknown company, or a member who is neither its employee nor its account, is
///   NOT_AUTHORISED_FOR_COMPANY; a partner the company does not earn at is INVALID_FIELD.
/// - A company account earns only through `company_id`: a plain accrual for it is
///   INVALID_FIELD naming member_id.
/// - A redemption from a company account needs `authorised_user` in the company's list
///   (else NOT_AUTHORISED_FOR_COMPANY); on anyone else's redemption the field is
///   INVALID_FIELD, so that a spend meant for the company is not taken from a person.
extension LedgerRules {
    /// The part of an accrual of `amountMinor` its member earns on (all of it without a
    /// company), after the company checks.
    func companyPart(_ t: Transaction, partner: Programme.Partner, amountMinor: Int64) throws(Rejection) -> Int64 {
        let companies = programme.companies
        guard !t.details.companyId.isEmpty else {
            // No lookup at all for a programme without companies (the hot path).
            if !companies.isEmpty, let company = companies.company(accountMemberId: t.memberId) {
                throw Rejection(
                    .invalidField,
                    "member_id: \"\(t.memberId)\" is company \"\(company.id)\"'s account: it earns only through its employees' accruals (company_id)"
                )
            }
            return amountMinor
        }
        guard let company = companies.company(id: t.details.companyId) else {
            throw Rejection(
                .notAuthorisedForCompany, "company_id: \"\(t.details.companyId)\" is not a company of programme \(programme.version)")
        }
        guard company.partnerIds.contains(partner.id) else {
            throw Rejection(
                .invalidField,
                "company_id: company \"\(company.id)\" earns at \(company.partnerIds.joined(separator: ", ")), not at \"\(partner.id)\"")
        }
        let accountPart = company.accountPartMinor(of: amountMinor)
        if t.memberId == company.accountMemberId { return accountPart }
        guard company.employees.contains(t.memberId) else {
            throw Rejection(.notAuthorisedForCompany, "member_id: \"\(t.memberId)\" is not an employee of company \"\(company.id)\"")
        }
        return amountMinor - accountPart
    }

    /// Accepts a company accrual's half that earns nothing: like any accepted transaction it
    /// first expires what is due (`lots`: the member's when `lotsNeeded`); then journaled
    /// with no points, no lot, no fee.
    func acceptEmptyPart(_ t: Transaction, member: MemberState, lots: [OpenLot], into effects: inout Effects) {
        let time = t.eventTimeMilliseconds
        var member = member
        let open = Self.expireDue(&member, lots: lots, at: time, into: &effects)
        effects.store(member)
        effects.record = JournalRecord(
            kind: .accrual,
            outcome: Outcome(
                status: .accepted, pointsDelta: 0, balanceAfter: member.balance - Self.pendingAfter(member, lots: open, effects: effects, at: time)),
            amountMinor: 0, points: 0, feeMinor: 0, lotId: nil)
    }

    /// A redemption's `authorised_user`: required and listed for a company account, absent
    /// for anyone else.
    func checkAuthorisedUser(_ t: Transaction) throws(Rejection) {
        let user = t.details.authorisedUser
        guard !programme.companies.isEmpty || !user.isEmpty else { return }
        guard let company = programme.companies.company(accountMemberId: t.memberId) else {
            guard user.isEmpty else {
                throw Rejection(
                    .invalidField, "authorised_user: only a redemption from a company account names one; \"\(t.memberId)\" is not one")
            }
            return
        }
        guard !user.isEmpty, company.authorisedUsers.contains(user) else {
            throw Rejection(
                .notAuthorisedForCompany,
                user.isEmpty
                    ? "authorised_user: \"\(t.memberId)\" is company \"\(company.id)\"'s account; a redemption from it must name an authorised user"
                    : "authorised_user: \"\(user)\" is not an authorised user of company \"\(company.id)\"")
        }
    }
}
