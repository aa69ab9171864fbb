import Foundation
import Programme
import SwiftProtobuf

// Both directions of the mapping between a domain transaction's body and the envelope's,
// side by side: a new kind of transaction changes this file once.

extension Loyalty_V1_TransactionEnvelope {
    /// The envelope a partner (or the demo feeder) sends for a domain transaction.
    /// `occurred_at_ms` carries the transaction's event time; `received_at_ms` is left
    /// for the gateway to stamp.
    public init(_ transaction: Transaction, traceId: String = "") {
        self.init()
        partnerID = transaction.partnerId
        partnerTxnID = transaction.partnerTxnId
        memberID = transaction.memberId
        occurredAtMs = transaction.eventTimeMilliseconds
        traceID = traceId
        let details = transaction.details
        cardID = details.cardId
        switch transaction.body {
        case .accrual(let amountMinor, let currency, let category):
            accrual = .with {
                $0.amountMinor = amountMinor
                $0.currency = currency
                $0.category = category
                $0.visits = details.visits
                $0.nights = details.nights
                $0.product = details.product
                $0.referralCode = details.referralCode
                $0.retroClaim = details.retroClaim
                $0.companyID = details.companyId
            }
        case .redemption(let points):
            redemption = .with {
                $0.points = points
                $0.billAmountMinor = details.billAmountMinor
                $0.rewardID = details.rewardId
                $0.externalMemberID = details.externalMemberId
                $0.authorisedUser = details.authorisedUser
            }
        case .refund(let original, let amountMinor, let currency):
            reversal = .with {
                $0.kind = .refund
                $0.originalPartnerTxnID = original
                $0.amountMinor = amountMinor
                $0.currency = currency
            }
        case .cancel(let original):
            reversal = .with {
                $0.kind = .cancel
                $0.originalPartnerTxnID = original
            }
        case .card(let operation):
            card = .with {
                $0.kind = operation.kind.wire
                $0.cardID = operation.cardId
                $0.targetMemberID = operation.targetMemberId
            }
        }
    }

    /// A programme version, written by `loyalty programme publish` into every partition.
    public static func programme(_ release: ProgrammeRelease) -> Self {
        .with {
            $0.programme = .with {
                $0.version = release.version
                $0.sha256 = release.sha256
                $0.programmeJson = Data(release.json)
                $0.publishedAtMs = release.publishedAtMilliseconds
            }
        }
    }

    /// A barrier closing `cycle`, written by the clearing node into every partition; it
    /// suspends the accruals of `accrualSuspended` (deposits exhausted) until the next one.
    public static func barrier(cycle: Int64, closedAtMilliseconds: Int64, accrualSuspended: [String] = []) -> Self {
        .with {
            $0.barrier = .with {
                $0.cycle = cycle
                $0.closedAtMs = closedAtMilliseconds
                $0.accrualSuspended = accrualSuspended
            }
        }
    }
}

extension Transaction.Body {
    /// The body of a transaction envelope, its required fields and text limits checked.
    /// (Barriers and inquiries are not transactions: `InboundMessage` takes them first.)
    init(wire body: Loyalty_V1_TransactionEnvelope.OneOf_Body) throws(WireError) {
        switch body {
        case .accrual(let accrual):
            try FieldLimits.checkCurrency(accrual.currency, field: "accrual.currency")
            try FieldLimits.checkCategory(accrual.category, field: "accrual.category")
            self = .accrual(amountMinor: accrual.amountMinor, currency: accrual.currency, category: accrual.category)
        case .redemption(let redemption):
            self = .redemption(points: redemption.points)
        case .reversal(let reversal):
            try FieldLimits.checkId(reversal.originalPartnerTxnID, field: "reversal.original_partner_txn_id")
            try FieldLimits.checkCurrency(reversal.currency, field: "reversal.currency")
            switch reversal.kind {
            case .refund:
                self = .refund(
                    originalPartnerTxnId: reversal.originalPartnerTxnID,
                    amountMinor: reversal.amountMinor,
                    currency: reversal.currency
                )
            case .cancel:
                self = .cancel(originalPartnerTxnId: reversal.originalPartnerTxnID)
            case .unspecified, .UNRECOGNIZED:
                throw WireError(field: "reversal.kind", reason: "must be REFUND or CANCEL, got \(reversal.kind.rawValue)")
            }
        case .card(let card):
            self = .card(try Transaction.CardOperation(wire: card))
        case .barrier, .inquiry, .programme:
            preconditionFailure("barriers, inquiries and programme versions are handled before transaction bodies")
        }
    }
}

extension Transaction.Details {
    /// The envelope's optional fields, their text limits and ranges checked.
    init(wire envelope: Loyalty_V1_TransactionEnvelope) throws(WireError) {
        self.init()
        // Through a gateway the event time is its stamp, new on every retry; the partner's
        // time stays (LedgerRules+Horizon). A retro-claim's event time is the partner's already.
        if envelope.receivedAtMs > 0, envelope.occurredAtMs > 0, !envelope.accrual.retroClaim {
            occurredAtMilliseconds = envelope.occurredAtMs
        }
        if !envelope.cardID.isEmpty {
            try FieldLimits.checkId(envelope.cardID, field: "card_id")
            cardId = envelope.cardID
        }
        switch envelope.body {
        case .accrual(let accrual):
            visits = try Self.count(accrual.visits, "accrual.visits")
            nights = try Self.count(accrual.nights, "accrual.nights")
            if !accrual.product.isEmpty {
                try FieldLimits.checkCategory(accrual.product, field: "accrual.product")
                product = accrual.product
            }
            if !accrual.referralCode.isEmpty {
                try FieldLimits.checkId(accrual.referralCode, field: "accrual.referral_code")
                referralCode = accrual.referralCode
            }
            if accrual.retroClaim {
                retroClaim = true
                receivedAtMilliseconds = envelope.receivedAtMs
            }
            if !accrual.companyID.isEmpty {
                try FieldLimits.checkId(accrual.companyID, field: "accrual.company_id")
                companyId = accrual.companyID
            }
        case .redemption(let redemption):
            if redemption.billAmountMinor != 0 {
                try FieldLimits.checkAmount(redemption.billAmountMinor, field: "redemption.bill_amount_minor")
                billAmountMinor = redemption.billAmountMinor
            }
            if !redemption.rewardID.isEmpty {
                try FieldLimits.checkId(redemption.rewardID, field: "redemption.reward_id")
                rewardId = redemption.rewardID
            }
            if !redemption.externalMemberID.isEmpty {
                try FieldLimits.checkId(redemption.externalMemberID, field: "redemption.external_member_id")
                externalMemberId = redemption.externalMemberID
            }
            if !redemption.authorisedUser.isEmpty {
                try FieldLimits.checkId(redemption.authorisedUser, field: "redemption.authorised_user")
                authorisedUser = redemption.authorisedUser
            }
        default: break
        }
    }

    /// Visits and nights: 0 (none) up to 10,000 per transaction.
    static let countRange: ClosedRange<Int64> = 0...10_000

    private static func count(_ value: Int64, _ field: String) throws(WireError) -> Int64 {
        guard countRange.contains(value) else {
            throw WireError(field: field, reason: "must be in 0...10000, got \(value)")
        }
        return value
    }
}

extension Transaction.CardOperation {
    /// A card operation of the envelope: a kind, a card id, and for MOVE a target account
    /// other than the envelope's member (checked by the ledger, which knows the member).
    init(wire card: Loyalty_V1_CardOperation) throws(WireError) {
        let kind: Kind
        switch card.kind {
        case .enrol: kind = .enrol
        case .link: kind = .link
        case .unlink: kind = .unlink
        case .block: kind = .block
        case .move: kind = .move
        case .unspecified, .UNRECOGNIZED:
            throw WireError(field: "card.kind", reason: "must be ENROL, LINK, UNLINK, BLOCK or MOVE, got \(card.kind.rawValue)")
        }
        try FieldLimits.checkId(card.cardID, field: "card.card_id")
        if kind == .move {
            try FieldLimits.checkId(card.targetMemberID, field: "card.target_member_id")
        } else if !card.targetMemberID.isEmpty {
            throw WireError(field: "card.target_member_id", reason: "is for MOVE only, got it on \(kind.rawValue)")
        }
        self.init(kind, cardId: card.cardID, targetMemberId: card.targetMemberID)
    }
}

extension Transaction.CardOperation.Kind {
    /// The wire's kind.
    public var wire: Loyalty_V1_CardOperation.Kind {
        switch self {
        case .enrol: .enrol
        case .link: .link
        case .unlink: .unlink
        case .block: .block
        case .move: .move
        }
    }
}
