import Programme

/// Catalogue and exchange partners (docs/programme.md, "Catalogue and exchange partners").
///
/// - The operator's catalogue and the exchange partners only take points: an accrual at
///   one is INVALID_FIELD naming partner_id. A redemption at the catalogue is an ordinary
///   one (issuers owe the catalogue).
/// - A redemption at an exchange partner is a conversion: it needs the member's id in the
///   partner's programme (MISSING_EXTERNAL_MEMBER_ID) and a whole number ≥ 1 of the
///   partner's blocks (NOT_A_CONVERSION_BLOCK), both checked before the balance. The money
///   is the ordinary redemption's (the same `redeem`); the conversion is recorded for the
///   cycle's conversion file.
/// - A conversion cannot be cancelled: the miles went out in the cycle's conversion file,
///   and the exchange partner cannot take them back from us. A cancel of one is
///   WRONG_ORIGINAL_KIND. (Undoing one is the exchange partner's business with its member.)
/// - `external_member_id` belongs to conversions only: on a redemption at any other
///   partner it is INVALID_FIELD, so that a misrouted conversion is not taken as a purchase.
extension LedgerRules {
    /// Refuses an accrual at a partner that never issues points: the catalogue and the
    /// exchange partners only take them (their earn rates are not bound by the floors).
    func checkIssues(_ partner: Programme.Partner) throws(Rejection) {
        switch partner.kind {
        case .merchant: return
        case .catalogue:
            throw Rejection(
                .invalidField, "partner_id: \"\(partner.id)\" is the operator's reward catalogue: it takes points and never issues them")
        case .exchange:
            throw Rejection(
                .invalidField,
                "partner_id: \"\(partner.id)\" is an exchange partner: it converts points into its own and never issues them")
        }
    }

    /// The miles a redemption of `points` at `partner` credits when it is a conversion
    /// (an exchange partner), after its checks; nil for any other partner.
    func conversionMiles(_ t: Transaction, partner: Programme.Partner, points: Int64) throws(Rejection) -> Int64? {
        guard partner.kind == .exchange, let terms = partner.exchange else {
            guard t.details.externalMemberId.isEmpty else {
                throw Rejection(
                    .invalidField,
                    "external_member_id: only a conversion at an exchange partner carries one; \"\(partner.id)\" is a \(partner.kind.rawValue) partner"
                )
            }
            return nil
        }
        guard !t.details.externalMemberId.isEmpty else {
            throw Rejection(
                .missingExternalMemberId,
                "external_member_id: a conversion at \"\(partner.id)\" needs the member's id in its programme to credit the \(terms.unit)")
        }
        guard let miles = terms.miles(forPoints: points) else {
            throw Rejection(
                .notAConversionBlock,
                "points: \(points) is not a whole number of \"\(partner.id)\"'s \(terms.blockPoints)-point blocks (at least one block)")
        }
        return miles
    }

    /// The conversion file's line of an accepted conversion at `offset`.
    func recordConversion(_ t: Transaction, offset: Int64, points: Int64, miles: Int64, into effects: inout Effects) {
        effects.conversion = Conversion(
            partnerId: t.partnerId, partnerTxnId: t.partnerTxnId, memberId: t.memberId, externalMemberId: t.details.externalMemberId,
            points: points, miles: miles, offset: offset)
    }

    /// Refuses a cancel at an exchange partner: its conversions' miles were already sent.
    func checkCancelAllowed(_ partner: Programme.Partner, originalTxnId: String) throws(Rejection) {
        guard partner.kind != .exchange else {
            throw Rejection(
                .wrongOriginalKind,
                "original_partner_txn_id: \"\(originalTxnId)\" is a conversion at exchange partner \"\(partner.id)\"; its miles went out in the conversion file, so it cannot be cancelled"
            )
        }
    }
}
