import Basics
import Programme

/// What the programme's rules ask of synthetic traffic, so `loyalty dev --programme FILE`
/// exercises them: visits and nights where statuses count them, products promotions
/// name, referral codes on first accruals, rewards, minimums and bills at partners with
/// redemption rules. A programme without those rules gets exactly the traffic it got
/// before (no extra random draws), so seeds keep their meaning.
struct RuleTraffic: Sendable {
    /// Partners whose accruals count visits / nights for statuses (nil: no such metric).
    var visitPartners: Set<String>?
    var nightPartners: Set<String>?
    /// Products promotions name, per partner ("" key: promotions for any partner).
    var products: [String: [String]] = [:]
    /// Whether some promotion rewards a referral code on a first accrual.
    var referrals = false

    init(_ programme: Programme) {
        let statuses = programme.statuses
        if statuses.isEnabled {
            let set = Set(statuses.partnerIds.isEmpty ? programme.partners.map(\.id) : statuses.partnerIds)
            let thresholds = statuses.levels.compactMap(\.qualify)
            if thresholds.contains(where: { $0.visits != nil }) { visitPartners = set }
            if thresholds.contains(where: { $0.nights != nil }) { nightPartners = set }
        }
        for promotion in programme.promotions {
            for partner in promotion.partnerIds.isEmpty ? [""] : promotion.partnerIds where !promotion.products.isEmpty {
                products[partner, default: []] += promotion.products
            }
            if promotion.kind == .referral { referrals = true }
        }
    }
}

extension SyntheticCoalition {
    /// The rules' fields of an accrual at `partnerId` by member `memberIndex`.
    mutating func accrualDetails(_ partnerId: String, memberIndex: Int, firstAccrual: Bool) -> Transaction.Details {
        var details = Transaction.Details()
        if rules.visitPartners?.contains(partnerId) == true { details.visits = 1 }
        if rules.nightPartners?.contains(partnerId) == true { details.nights = Int64.random(in: 1...4, using: &random) }
        let products = (rules.products[partnerId] ?? []) + (rules.products[""] ?? [])
        if !products.isEmpty, Bool.random(using: &random) {
            details.product = products[Int.random(in: 0..<products.count, using: &random)]
        }
        if rules.referrals, firstAccrual, Int.random(in: 0..<4, using: &random) == 0 {
            details.referralCode = Self.memberId(Int.random(in: 0..<settings.members, using: &random))
        }
        return details
    }

    /// A conversion of at most `available` points at an exchange partner: up to three
    /// quarters of them in whole blocks, with the member's (synthetic) frequent-flyer
    /// number; nil when not even one block fits.
    mutating func conversionTerms(
        _ exchange: ExchangeTerms, memberIndex: Int, available: Int64
    ) -> (points: Int64, details: Transaction.Details)? {
        let blocks = available * 3 / 4 / Swift.max(1, exchange.blockPoints)
        guard blocks >= 1 else { return nil }
        var details = Transaction.Details()
        details.externalMemberId = "FF" + String(100_000_000 + memberIndex)
        return (Int64.random(in: 1...blocks, using: &random) * exchange.blockPoints, details)
    }

    /// A redemption of at most `available` points at `partner` that its rules accept
    /// (a reward, the minimum, a bill for a capped share); nil when none fits.
    mutating func redemptionTerms(_ partner: Programme.Partner, available: Int64) -> (points: Int64, details: Transaction.Details)? {
        let rules = partner.redemption
        var details = Transaction.Details()
        let affordable = rules.rewards.filter { $0.points <= available }
        if !affordable.isEmpty, Int.random(in: 0..<3, using: &random) == 0 {
            let reward = affordable[Int.random(in: 0..<affordable.count, using: &random)]
            details.rewardId = reward.id
            return (reward.points, details)
        }
        let most = Swift.max(1, available * 3 / 4)
        guard most >= rules.minPoints else { return nil }
        let points = Int64.random(in: Swift.max(1, rules.minPoints)...most, using: &random)
        if let share = rules.maxBillShareBasisPoints, share > 0 {
            let value = points * (rules.pointValueMinor ?? programme.pointValueMinor)
            // The smallest bill the share allows, plus up to as much again.
            let bill = (value * 10_000 + share - 1) / share
            details.billAmountMinor = bill + Int64.random(in: 0...bill, using: &random)
        }
        return (points, details)
    }
}
