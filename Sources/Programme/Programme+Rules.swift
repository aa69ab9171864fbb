/// The programme rules of issue 13 (docs/programme.md), section by section: each section
/// decodes its part of the file and checks itself in its own file; these are the two
/// places that call them, so a new section is added here once.
extension Programme {
    /// Decodes the rule sections of `file` into this programme (its partners already set,
    /// in sorted order), reporting each problem with its field path.
    mutating func decodeRules(_ file: ProgrammeFile, problems: inout [(field: String, reason: String)]) {
        claimWindowDays = file.claimWindowDays
        archivesCycleSummaries = file.archiveCycleSummaries ?? false
        statuses = Self.decodeStatuses(file.statuses, problems: &problems)
        expiryPolicy = Self.decodeExpiry(file.expiry, expiryMonths: expiryMonths, problems: &problems)
        promotions = Self.decodePromotions(file.promotions, problems: &problems)
        companies = Self.decodeCompanies(file.companies, problems: &problems)
    }

    /// Decodes each partner's rule fields into `partners` (in file order, one per entry
    /// of the file's `partners`).
    static func decodePartnerRules(
        _ files: [ProgrammeFile.PartnerFile], into partners: inout [Partner], problems: inout [(field: String, reason: String)]
    ) {
        for (index, p) in files.enumerated() where index < partners.count {
            partners[index].pendingDays = p.pendingDays ?? 0
            partners[index].redemption = decodeRedemption(p.redemption, base: "partners[\(index)].redemption", problems: &problems)
            (partners[index].fundingModel, partners[index].fees) = decodeFunding(p, base: "partners[\(index)]", problems: &problems)
            partners[index].deposit = decodeDeposit(p.deposit, base: "partners[\(index)].deposit", problems: &problems)
            partners[index].exposureCapMinor = p.exposureCapMinor
            (partners[index].kind, partners[index].exchange) = decodeKind(p, base: "partners[\(index)]", problems: &problems)
        }
    }

    /// Every problem of the rule sections (partners named by their place in the file).
    func checkRules(partnersInFileOrder: [Partner], _ report: (String, String) -> Void) {
        checkStatuses(report)
        checkExpiry(report)
        checkPromotions(report)
        checkCards(report)
        checkCompanies(report)
        if let days = claimWindowDays, !Self.horizonDaysRange.contains(days) {
            report("claim_window_days", "must be in 1...36500 days, got \(days)")
        }
        // A claim past the horizon is refused PAST_IDEMPOTENCY_HORIZON first: a longer
        // window could never be honoured.
        if let days = claimWindowDays, let horizon = idempotencyHorizonDays, days > horizon {
            report("claim_window_days", "\(days) days is longer than idempotency_horizon_days (\(horizon)): older claims are refused by the horizon")
        }
        for (index, partner) in partnersInFileOrder.enumerated() {
            let base = "partners[\(index)]"
            checkPending(partner, base: base, report)
            checkRedemption(partner, base: "\(base).redemption", report)
            checkFunding(partner, base: base, report)
            checkDeposit(partner, base: base, report)
            checkKind(partner, base: base, report)
        }
    }
}
