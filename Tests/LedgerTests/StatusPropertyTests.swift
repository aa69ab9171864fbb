import Basics
import Foundation
import LoyaltyTesting
import Programme
import Testing

@testable import Ledger

/// Statuses against an independent model: random accruals, refunds and balance answers of
/// a few members over about two years, on a real shard. After every entry the status the
/// result or answer carries, and every accrual's points, equal what `StatusModel`
/// recomputes from the member's accepted transactions alone (no buckets, no pruning);
/// the same log applied in other batch sizes gives the same digest and outputs.
@Suite(.timeLimit(.minutes(10)))
struct StatusPropertyTests {
    typealias Level = StatusRules.Level
    typealias Thresholds = StatusRules.Thresholds

    /// Three shapes: a rolling window with a partner set and inactivity; calendar months,
    /// upgrading within the month, next-visit activation; calendar years, last year only.
    static let configurations: [StatusRules] = [
        StatusRules(
            levels: [
                Level(name: "base"),
                Level(name: "silver", qualify: Thresholds(spendMinor: 300_000, visits: 20), earn: .multiplier(15_000)),
                Level(
                    name: "gold", qualify: Thresholds(spendMinor: 600_000, visits: 35, nights: 80),
                    earn: .rates(defaultBasisPoints: 2000, categories: ["fuel": 2500])),
            ],
            period: .rollingDays(60), partnerIds: ["alpha", "beta"], downgradeAfterInactiveDays: 45),
        StatusRules(
            levels: [
                Level(name: "3%", earn: .rates(defaultBasisPoints: 300, categories: [:])),
                Level(name: "10%", qualify: Thresholds(spendMinor: 300_000), earn: .rates(defaultBasisPoints: 1000, categories: [:])),
                Level(name: "15%", qualify: Thresholds(spendMinor: 450_001), earn: .rates(defaultBasisPoints: 1500, categories: [:])),
            ],
            period: .calendarMonth, downgradeAfterInactiveDays: 20, activation: .nextVisit, upgradeInPeriod: true),
        StatusRules(
            levels: [
                Level(name: "red"),
                Level(name: "silver", qualify: Thresholds(spendMinor: 1_200_000, visits: 70), earn: .multiplier(15_000)),
                Level(name: "gold", qualify: Thresholds(spendMinor: 1_500_000, visits: 85), earn: .multiplier(20_000)),
            ],
            period: .calendarYear, upgradeInPeriod: false),
    ]

    @Test(arguments: [0, 1, 2])
    func statusAlwaysMatchesTheModelAndReplays(configuration: Int) async throws {
        var programme = Programme.handWorked
        programme.statuses = Self.configurations[configuration]
        try programme.validate()
        let entries = Self.workload(seed: UInt64(100 + configuration), programme: programme)

        var model = StatusModel(programme: programme)
        let h = try Harness(programme: programme)
        var checked = 0
        var seen: Set<String> = []
        // A long synchronous loop would hold one of the few cooperative threads (2 on CI)
        // and starve the suites that await (in-process gateways, 1-minute limits): yield.
        var pool = PoolYield()
        for entry in entries {
            await pool.ifDue()
            let outputs = try h.run([entry.kind])
            switch (entry.kind, try #require(outputs.first)) {
            case (.transaction(let t), .result(_, _, let outcome, _, let facts)):
                try #require(outcome.status == .accepted, "\(t): \(outcome)")
                let expectedPoints = model.apply(t)
                if case .accrual = t.body {
                    #expect(outcome.pointsDelta == expectedPoints, "\(t.partnerTxnId) at \(t.eventTimeMilliseconds)")
                }
                #expect(facts.status == model.status(t.memberId, at: t.eventTimeMilliseconds), "\(t.partnerTxnId)")
            case (.inquiry(let memberId, let time), .inquiry(_, _, _, let facts)):
                #expect(facts.status == model.status(memberId, at: time), "balance answer of \(memberId) at \(time)")
            default:
                Issue.record("unexpected output for \(entry)")
            }
            seen.insert(model.lastStatus)
            checked += 1
        }
        #expect(checked == entries.count)
        // The workload reaches every status.
        #expect(seen.isSuperset(of: programme.statuses.levels.map(\.name)), "statuses seen: \(seen)")

        let digest = try h.shard.digest()
        var outputs: [[LedgerOutput]] = []
        for size in [7, entries.count] {
            let replay = try Harness(programme: programme)
            outputs.append(try await replay.shard.applyYielding(entries, batchSize: size))
            #expect(try replay.shard.digest() == digest)
        }
        #expect(outputs[0] == outputs[1])
    }

    /// Accruals (80 %), refunds of earlier accruals (15 %) and balance answers, time
    /// moving forward by up to 16 hours, now and then by 40 to 100 days (inactivity): about 2.5 years.
    static func workload(seed: UInt64, programme: Programme) -> [LedgerEntry] {
        var random = SplitMix64(seed: seed)
        var time = Clock.t0
        var entries: [LedgerEntry] = []
        var accruals: [(partner: String, txn: String, member: String, left: Int64)] = []
        let partners = programme.partners.map(\.id)
        let categories = ["any", "fuel"]
        for n in 0..<1200 {
            time += random.below(150) == 0 ? Int64(40 + random.below(60)) * Clock.day : Int64(random.below(16 * 3_600_000))
            let member = "m\(random.below(4))"
            let roll = random.below(100)
            let kind: LedgerEntry.Kind
            if roll < 15, let index = accruals.indices.filter({ accruals[$0].left > 0 }).randomElement(using: &random) {
                let a = accruals[index]
                let amount = Int64(1 + random.below(Int(a.left)))
                accruals[index].left -= amount
                kind = .transaction(
                    Transaction(
                        partnerId: a.partner, partnerTxnId: "r\(n)", memberId: a.member, eventTimeMilliseconds: time,
                        body: .refund(originalPartnerTxnId: a.txn, amountMinor: amount, currency: "EUR")))
            } else if roll < 20 {
                kind = .inquiry(memberId: member, atMilliseconds: time)
            } else {
                let partner = partners[random.below(partners.count)]
                let amount = Int64(100 + random.below(40_000))
                var details = Transaction.Details()
                details.visits = Int64(random.below(3))
                details.nights = Int64(random.below(6))
                accruals.append((partner, "a\(n)", member, amount))
                kind = .transaction(
                    Transaction(
                        partnerId: partner, partnerTxnId: "a\(n)", memberId: member, eventTimeMilliseconds: time,
                        body: accrual(amount, category: categories[random.below(2)]), details: details))
            }
            entries.append(LedgerEntry(offset: Int64(n), kind: kind))
        }
        return entries
    }
}

/// The statuses recomputed from scratch: a member's accepted accruals at counted partners
/// (less what refunds took of each), since its last lapse; the status at t is the highest
/// level one of the sums over the period reaches. Written from docs/programme.md, not from
/// the ledger's buckets.
struct StatusModel {
    struct Accrual {
        var time: Int64
        var amount: Int64
        var refunded: Int64 = 0
        var visits: Int64
        var nights: Int64
    }

    struct Member {
        /// Counted accruals since the member's last lapse, by partner txn id.
        var accruals: [String: Accrual] = [:]
        var last: Int64?
    }

    let programme: Programme
    var rules: StatusRules { programme.statuses }
    var members: [String: Member] = [:]
    var lastStatus = ""

    init(programme: Programme) { self.programme = programme }

    func lapsed(_ member: Member, at time: Int64) -> Bool {
        guard let days = rules.downgradeAfterInactiveDays, let last = member.last else { return false }
        return time - last >= Int64(days) * Clock.day
    }

    /// The level `member` has at `time`.
    func level(_ member: Member, at time: Int64) -> Int {
        if lapsed(member, at: time) { return 0 }
        func day(_ t: Int64) -> Int64 { CivilTime.floorDivide(t, Clock.day).0 }
        func month(_ t: Int64) -> Int64 {
            let date = CivilTime.civil(days: day(t))
            return date.year * 12 + date.month
        }
        func year(_ t: Int64) -> Int64 { CivilTime.civil(days: day(t)).year }
        func reached(_ included: (Int64) -> Bool) -> Int {
            var spend: Int64 = 0
            var visits: Int64 = 0
            var nights: Int64 = 0
            for a in member.accruals.values where included(a.time) {
                spend += a.amount - a.refunded
                visits += a.visits
                nights += a.nights
            }
            for index in stride(from: rules.levels.count - 1, to: 0, by: -1) {
                let q = rules.levels[index].qualify!
                if let s = q.spendMinor, spend >= s { return index }
                if let v = q.visits, visits >= v { return index }
                if let n = q.nights, nights >= n { return index }
            }
            return 0
        }
        switch rules.period {
        case .rollingDays(let days):
            return reached { day($0) <= day(time) && day($0) > day(time) - Int64(days) }
        case .calendarMonth:
            let previous = reached { month($0) == month(time) - 1 }
            return rules.upgradeInPeriod ? max(previous, reached { month($0) == month(time) }) : previous
        case .calendarYear:
            let previous = reached { year($0) == year(time) - 1 }
            return rules.upgradeInPeriod ? max(previous, reached { year($0) == year(time) }) : previous
        }
    }

    func status(_ memberId: String, at time: Int64) -> String {
        rules.levels[level(members[memberId] ?? Member(), at: time)].name
    }

    /// The rate `level` earns at `partner`, from the docs: the partner's own ×1, its rate
    /// times the multiplier, or the status' rate; never below the floor (unless ×1).
    func rate(_ level: Int, partner: Programme.Partner, category: String) -> Int64 {
        let own = partner.earnCategoryBasisPoints[category] ?? partner.earnDefaultBasisPoints
        let floor = programme.floors.categories[category] ?? programme.floors.defaultBasisPoints
        switch rules.levels[level].earn {
        case .partnerRate: return own
        case .multiplier(let m): return max(own * m / 10_000, floor)
        case .rates(let d, let c): return max(c[category] ?? d, floor)
        }
    }

    /// Applies an accepted transaction; an accrual's expected points.
    mutating func apply(_ t: Transaction) -> Int64 {
        var member = members[t.memberId] ?? Member()
        defer {
            members[t.memberId] = member
            lastStatus = status(t.memberId, at: t.eventTimeMilliseconds)
        }
        let counted = rules.partnerIds.isEmpty || rules.partnerIds.contains(t.partnerId)
        switch t.body {
        case .accrual(let amount, _, let category):
            let partner = programme.partner(t.partnerId)!
            guard counted else {
                return amount * partner.earnBasisPoints(category: category) / 10_000 / programme.pointValueMinor
            }
            let before = level(member, at: t.eventTimeMilliseconds)
            if lapsed(member, at: t.eventTimeMilliseconds) { member.accruals = [:] }
            member.accruals[t.partnerTxnId] = Accrual(
                time: t.eventTimeMilliseconds, amount: amount, visits: t.details.visits, nights: t.details.nights)
            member.last = max(member.last ?? t.eventTimeMilliseconds, t.eventTimeMilliseconds)
            let after = level(member, at: t.eventTimeMilliseconds)
            let earning = rules.activation == .immediate ? after : before
            return amount * rate(earning, partner: partner, category: category) / 10_000 / programme.pointValueMinor
        case .refund(let original, let amount, _):
            member.accruals[original]?.refunded += amount
            return 0
        default:
            return 0
        }
    }
}
