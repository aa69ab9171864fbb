import Basics
import Programme

/// A deterministic stream of realistic coalition traffic: members shopping across
/// partners, paying with points at other partners, partial refunds, cancels, the odd
/// repeat and the odd bad transaction — in event-time order over `days` days.
///
/// The generator keeps a rough model of each member's points so that most redemptions
/// can succeed; the ledger, not this model, decides what is accepted.
public struct SyntheticCoalition: Sequence, IteratorProtocol, Sendable {
    public struct Settings: Sendable {
        public var members = 10_000
        public var transactions = 200_000
        public var seed: UInt64 = 42
        /// Event times start here (UTC ms) and spread evenly over `days`.
        public var startMilliseconds: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z
        public var days: Int64 = 900
        /// Share of transactions in per-mille; the rest are accruals.
        public var redemptionPerMille = 200
        public var refundPerMille = 70
        public var cancelPerMille = 30
        /// Deliberately repeated or invalid transactions, to show DUPLICATE and REJECTED.
        public var repeatPerMille = 3
        public var invalidPerMille = 2

        public init() {}
    }

    /// A purchase or redemption held for a later refund or cancel. Its transaction id is
    /// kept as the number it was produced at (`txnId(_:at:)` spells it again): millions
    /// are held, and a spelled-out id is a heap string each (~190 MB at 5,000,000
    /// transactions over 100,000 members, against ~75 MB).
    private struct Held: Sendable {
        var partnerId: String  // a partner's id: short, stored inline
        var produced: Int
        var amountMinor: Int64
        var refundedMinor: Int64 = 0
    }

    private struct MemberModel: Sendable {
        var points: Int64 = 0
        var purchases: [Held] = []
        /// `amountMinor` is the points redeemed.
        var redemptions: [Held] = []
        var accrued = false
    }

    public let settings: Settings
    let programme: Programme
    /// Where members shop: the merchants (a catalogue or exchange partner issues nothing).
    private let partners: [(id: String, categories: [String], amountRange: ClosedRange<Int64>)]
    /// Where members spend: every partner, catalogue and exchange partners included.
    private let redeemers: [String]
    var random: SplitMix64
    let rules: RuleTraffic
    private var members: [MemberModel]

    /// The recent purchases and redemptions held for refunds and cancels (capped per
    /// member: 16 and 8, so bounded, but it fills as members transact; about 40 bytes
    /// each): `loyalty bench history` prints it beside the heap, which it is part of.
    /// O(members).
    public var heldEntries: Int { members.reduce(0) { $0 + $1.purchases.count + $1.redemptions.count } }
    private var produced = 0
    private var last: Transaction?

    public init(programme: Programme, settings: Settings = Settings()) {
        self.settings = settings
        self.programme = programme
        partners = programme.partners.filter { $0.kind == .merchant }.map { partner in
            (partner.id, [""] + partner.earnCategoryBasisPoints.keys.sorted(), Self.amountRange(for: partner.id))
        }
        redeemers = programme.partners.map(\.id)
        random = SplitMix64(seed: settings.seed)
        rules = RuleTraffic(programme)
        members = Array(repeating: MemberModel(), count: Swift.max(1, settings.members))
    }

    public mutating func next() -> Transaction? {
        guard produced < settings.transactions else { return nil }
        defer { produced += 1 }
        let time =
            settings.startMilliseconds
            + Int64(produced) * settings.days * 86_400_000 / Int64(Swift.max(1, settings.transactions))
        let roll = Int.random(in: 0..<1_000, using: &random)
        var threshold = settings.repeatPerMille
        if roll < threshold, let last {
            return last
        }
        threshold += settings.invalidPerMille
        if roll < threshold {
            return invalid(at: time)
        }
        let memberIndex = Int.random(in: 0..<members.count, using: &random)
        let pick = Int.random(in: 0..<1_000, using: &random)
        let transaction: Transaction
        if pick < settings.redemptionPerMille, let redemption = redemption(memberIndex, time) {
            transaction = redemption
        } else if pick < settings.redemptionPerMille + settings.refundPerMille, let refund = refund(memberIndex, time) {
            transaction = refund
        } else if pick < settings.redemptionPerMille + settings.refundPerMille + settings.cancelPerMille,
            let cancel = cancel(memberIndex, time)
        {
            transaction = cancel
        } else {
            transaction = accrual(memberIndex, time)
        }
        last = transaction
        return transaction
    }

    public static func memberId(_ index: Int) -> String {
        let digits = String(index)
        return "m-" + String(repeating: "0", count: Swift.max(0, 6 - digits.count)) + digits
    }

    private func txnId(_ partnerId: String) -> String {
        txnId(partnerId, at: produced)
    }

    private func txnId(_ partnerId: String, at produced: Int) -> String {
        "\(partnerId)-\(settings.seed)-\(produced)"
    }

    private mutating func accrual(_ memberIndex: Int, _ time: Int64) -> Transaction {
        let partner = partners[Int.random(in: 0..<partners.count, using: &random)]
        let category = partner.categories[Int.random(in: 0..<partner.categories.count, using: &random)]
        let amount = Int64.random(in: partner.amountRange, using: &random)
        let id = txnId(partner.id)
        let rate = programme.earnBasisPoints(partnerId: partner.id, category: category) ?? 0
        members[memberIndex].points += amount * rate / 10_000 / Swift.max(1, programme.pointValueMinor)
        members[memberIndex].purchases.append(Held(partnerId: partner.id, produced: produced, amountMinor: amount))
        if members[memberIndex].purchases.count > 16 { members[memberIndex].purchases.removeFirst() }
        let details = accrualDetails(partner.id, memberIndex: memberIndex, firstAccrual: !members[memberIndex].accrued)
        members[memberIndex].accrued = true
        return Transaction(
            partnerId: partner.id, partnerTxnId: id, memberId: Self.memberId(memberIndex),
            eventTimeMilliseconds: time, body: .accrual(amountMinor: amount, currency: programme.currency, category: category),
            details: details
        )
    }

    private mutating func redemption(_ memberIndex: Int, _ time: Int64) -> Transaction? {
        let available = members[memberIndex].points
        guard available >= 10 else { return nil }
        var points = Int64.random(in: 1...Swift.max(1, available * 3 / 4), using: &random)
        let partnerId = redeemers[Int.random(in: 0..<redeemers.count, using: &random)]
        var details = Transaction.Details()
        let partner = programme.partner(partnerId)!
        if let exchange = partner.exchange, partner.kind == .exchange {
            // A conversion: whole blocks, with the member's number at the exchange partner.
            guard let terms = conversionTerms(exchange, memberIndex: memberIndex, available: available) else { return nil }
            (points, details) = terms
        } else if partner.redemption != RedemptionRules() {
            guard let terms = redemptionTerms(partner, available: available) else { return nil }
            (points, details) = terms
        }
        let id = txnId(partnerId)
        members[memberIndex].points -= points
        // Conversions are final (the miles are gone): never cancelled.
        if partner.kind != .exchange {
            members[memberIndex].redemptions.append(Held(partnerId: partnerId, produced: produced, amountMinor: points))
        }
        if members[memberIndex].redemptions.count > 8 { members[memberIndex].redemptions.removeFirst() }
        return Transaction(
            partnerId: partnerId, partnerTxnId: id, memberId: Self.memberId(memberIndex),
            eventTimeMilliseconds: time, body: .redemption(points: points), details: details
        )
    }

    private mutating func refund(_ memberIndex: Int, _ time: Int64) -> Transaction? {
        guard
            let index = members[memberIndex].purchases.indices.last(where: {
                members[memberIndex].purchases[$0].refundedMinor < members[memberIndex].purchases[$0].amountMinor
            })
        else { return nil }
        let purchase = members[memberIndex].purchases[index]
        let remaining = purchase.amountMinor - purchase.refundedMinor
        let amount = Bool.random(using: &random) ? remaining : Int64.random(in: 1...remaining, using: &random)
        members[memberIndex].purchases[index].refundedMinor += amount
        return Transaction(
            partnerId: purchase.partnerId, partnerTxnId: txnId(purchase.partnerId) + "-r",
            memberId: Self.memberId(memberIndex), eventTimeMilliseconds: time,
            body: .refund(
                originalPartnerTxnId: txnId(purchase.partnerId, at: purchase.produced), amountMinor: amount,
                currency: programme.currency)
        )
    }

    private mutating func cancel(_ memberIndex: Int, _ time: Int64) -> Transaction? {
        guard !members[memberIndex].redemptions.isEmpty else { return nil }
        let redemption = members[memberIndex].redemptions.removeLast()
        members[memberIndex].points += redemption.amountMinor
        return Transaction(
            partnerId: redemption.partnerId, partnerTxnId: txnId(redemption.partnerId) + "-c",
            memberId: Self.memberId(memberIndex), eventTimeMilliseconds: time,
            body: .cancel(originalPartnerTxnId: txnId(redemption.partnerId, at: redemption.produced))
        )
    }

    /// One of the faults partners really send: each is rejected with a reason code.
    private mutating func invalid(at time: Int64) -> Transaction {
        let memberId = Self.memberId(Int.random(in: 0..<members.count, using: &random))
        let partner = partners[Int.random(in: 0..<partners.count, using: &random)].id
        let id = txnId(partner) + "-x"
        let body: Transaction.Body
        var partnerId = partner
        switch Int.random(in: 0..<5, using: &random) {
        case 0: body = .accrual(amountMinor: 0, currency: programme.currency, category: "")
        case 1: body = .accrual(amountMinor: 1_000, currency: programme.currency == "USD" ? "EUR" : "USD", category: "")
        case 2:
            partnerId = "unknown-partner"
            body = .accrual(amountMinor: 1_000, currency: programme.currency, category: "")
        case 3: body = .redemption(points: 900_000_000_000)
        default: body = .refund(originalPartnerTxnId: "never-sent", amountMinor: 100, currency: programme.currency)
        }
        return Transaction(partnerId: partnerId, partnerTxnId: id, memberId: memberId, eventTimeMilliseconds: time, body: body)
    }

    /// Typical ticket sizes per industry, in minor units.
    static func amountRange(for partnerId: String) -> ClosedRange<Int64> {
        switch partnerId {
        case "pharmacy": 500...8_000
        case "fuel": 2_000...12_000
        case "cinema": 800...4_000
        case "grocery": 1_000...20_000
        case "airline": 8_000...150_000
        case "hotel": 6_000...80_000
        case "restaurant": 1_500...15_000
        default: 1_000...50_000
        }
    }
}
