import Basics
import Foundation
import Ledger
import LoyaltyTesting
import Programme
import Testing

/// Times used by the hand-worked examples.
enum Clock {
    static let day: Int64 = 86_400_000
    static func at(_ y: Int64, _ m: Int64, _ d: Int64, hour: Int64 = 12) -> Int64 {
        CivilTime.days(year: y, month: m, day: d) * day + hour * 3_600_000
    }
    static let t0 = at(2026, 1, 15)
}

extension Programme {
    /// Round numbers for hand-working: point value 2 minor units, expiry 12 months.
    /// alpha earns 10 % (fee 1.5 %), beta 5 % (fee 1 %), gamma 2 % (no fee).
    static var handWorked: Programme {
        func partner(_ id: String, _ earn: Int64, _ fee: Int64) -> Partner {
            Partner(
                id: id, name: id.capitalized, earnDefaultBasisPoints: earn, operatorFeeBasisPoints: fee,
                iban: "DE89370400440532013000", bic: "COBADEFFXXX")
        }
        return Programme(
            version: "test", currency: "EUR", currencyExponent: 2, pointValueMinor: 2, expiryMonths: 12,
            maxCardsPerAccount: 4,
            operatorAccount: Participant(id: "operator", name: "Operator", iban: "DE89370400440532013000", bic: "COBADEFFXXX"),
            floors: Floors(defaultBasisPoints: 100),
            partners: [partner("alpha", 1000, 150), partner("beta", 500, 100), partner("gamma", 200, 0)])
    }
}

/// A shard in a temporary directory plus helpers that assign offsets.
final class Harness {
    let directory: URL
    let path: String
    let programme: Programme
    var shard: Shard
    var offset: Int64 = 0

    init(programme: Programme = .handWorked, partition: Int32 = 3) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("shard.sqlite").path
        self.programme = programme
        shard = try Shard(path: path, partition: partition, programme: programme)
    }

    deinit {
        shard.close()
        try? FileManager.default.removeItem(at: directory)
    }

    func reopen() throws {
        shard.close()
        shard = try Shard(path: path, partition: shard.partition, programme: programme)
    }

    /// Applies `kinds` as one batch with consecutive offsets.
    @discardableResult
    func run(_ kinds: [LedgerEntry.Kind]) throws -> [LedgerOutput] {
        var entries: [LedgerEntry] = []
        for kind in kinds {
            entries.append(LedgerEntry(offset: offset, kind: kind))
            offset += 1
        }
        return try shard.apply(LedgerBatch(entries: entries, nextOffset: offset)) { _ in }
    }

    /// Applies one transaction and returns its outcome.
    @discardableResult
    func tx(_ partner: String, _ txnId: String, _ member: String, at time: Int64 = Clock.t0, _ body: Transaction.Body) throws -> Outcome {
        let transaction = Transaction(partnerId: partner, partnerTxnId: txnId, memberId: member, eventTimeMilliseconds: time, body: body)
        let outputs = try run([.transaction(transaction)])
        guard case .result(_, _, let outcome, _, _) = try #require(outputs.first) else {
            Issue.record("expected a result, got \(outputs)")
            return Outcome(status: .rejected)
        }
        return outcome
    }

    @discardableResult
    func tx(_ partner: String, _ txnId: String, at time: Int64 = Clock.t0, _ body: Transaction.Body) throws -> Outcome {
        try tx(partner, txnId, "m1", at: time, body)
    }

    func debt(_ payer: String, _ payee: String) throws -> Int64 {
        try shard.totals().debts.first { $0.payer == payer && $0.payee == payee }?.amountMinor ?? 0
    }

    func partnerTotals(_ id: String) throws -> PartnerTotals? {
        try shard.totals().partners.first { $0.partnerId == id }
    }
}

func accrual(_ amount: Int64, _ currency: String = "EUR", category: String = "any") -> Transaction.Body {
    .accrual(amountMinor: amount, currency: currency, category: category)
}

/// A deterministic pseudo-random workload: accruals, redemptions, refunds, cancels,
/// duplicates, barriers, inquiries and dead letters over a few members.
struct Workload {
    var random: SplitMix64
    let programme: Programme
    var members: Int
    var time: Int64 = Clock.t0
    var accruals: [(partner: String, txn: String, member: String, amount: Int64)] = []
    var redemptions: [(partner: String, txn: String, member: String)] = []
    var sequence = 0
    var cycle: Int64 = 0

    init(seed: UInt64, programme: Programme, members: Int) {
        random = SplitMix64(seed: seed)
        self.programme = programme
        self.members = members
    }

    mutating func below(_ n: Int) -> Int { random.below(n) }

    mutating func transaction(_ body: Transaction.Body, partner: String, member: String, txn: String? = nil) -> LedgerEntry.Kind {
        sequence += 1
        return .transaction(
            Transaction(partnerId: partner, partnerTxnId: txn ?? "t\(sequence)", memberId: member, eventTimeMilliseconds: time, body: body))
    }

    /// 70 % accruals, 20 % redemptions, 10 % refunds and cancels when `plain`; otherwise
    /// also duplicates, rejects, barriers, inquiries and dead letters.
    mutating func entry(plain: Bool = false) -> LedgerEntry.Kind {
        time += Int64(below(12 * 3_600_000))  // years pass over a long stream: lots expire
        let partners = programme.partners
        let partner = partners[below(partners.count)].id
        let member = "m\(below(members))"
        let roll = below(100)
        if !plain {
            switch roll {
            case 0: cycle += 1; return .barrier(cycle: cycle, closedAtMilliseconds: time)
            case 1: return .inquiry(memberId: member, atMilliseconds: time)
            case 2: return .deadLetter(reason: "undecodable payload #\(sequence)")
            case 3 where !accruals.isEmpty:
                let a = accruals[below(accruals.count)]
                return transaction(accrual(a.amount), partner: a.partner, member: a.member, txn: a.txn)
            case 4: return transaction(.redemption(points: 0), partner: partner, member: member)
            default: break
            }
        }
        if roll < 70 || accruals.isEmpty {
            let amount = Int64(100 + below(50_000))
            let kind = transaction(accrual(amount), partner: partner, member: member)
            accruals.append((partner, "t\(sequence)", member, amount))
            return kind
        }
        if roll < 90 {
            let kind = transaction(.redemption(points: Int64(1 + below(400))), partner: partner, member: member)
            redemptions.append((partner, "t\(sequence)", member))
            return kind
        }
        if roll < 95 || redemptions.isEmpty {
            let a = accruals[below(accruals.count)]
            let amount = Int64(1 + below(Int(a.amount)))
            return transaction(.refund(originalPartnerTxnId: a.txn, amountMinor: amount, currency: "EUR"), partner: a.partner, member: a.member)
        }
        let r = redemptions[below(redemptions.count)]
        return transaction(.cancel(originalPartnerTxnId: r.txn), partner: r.partner, member: r.member)
    }

    static func entries(seed: UInt64, count: Int, programme: Programme = .handWorked, members: Int = 20, plain: Bool = false) -> [LedgerEntry] {
        var workload = Workload(seed: seed, programme: programme, members: members)
        return (0..<count).map { LedgerEntry(offset: Int64($0), kind: workload.entry(plain: plain)) }
    }
}

extension Shard {
    /// Applies `entries` in batches of `size`.
    @discardableResult
    func apply(_ entries: [LedgerEntry], batchSize size: Int) throws -> [LedgerOutput] {
        var outputs: [LedgerOutput] = []
        var start = 0
        while start < entries.count {
            let end = min(start + size, entries.count)
            let slice = Array(entries[start..<end])
            outputs += try apply(LedgerBatch(entries: slice, nextOffset: slice.last!.offset + 1)) { _ in }
            start = end
        }
        return outputs
    }

    /// `apply(_:batchSize:)` for long workloads in async tests: yields between batches
    /// now and then (`PoolYield`), so a property test does not hold one of the few
    /// cooperative threads (2 on CI) for seconds and starve the suites that await.
    func applyYielding(_ entries: [LedgerEntry], batchSize size: Int) async throws -> [LedgerOutput] {
        var outputs: [LedgerOutput] = []
        var start = 0
        var pool = PoolYield()
        while start < entries.count {
            let end = min(start + size, entries.count)
            outputs += try apply(Array(entries[start..<end]), batchSize: size)
            start = end
            await pool.ifDue()
        }
        return outputs
    }
}
