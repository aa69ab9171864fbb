import Ledger
import Programme

/// A slow, obvious, in-memory model of the same rules: arrays and dictionaries, no SQL,
/// no batching. The property test checks the shard against it.
struct ReferenceLedger {
    struct Lot {
        var id: Int64
        var issuer: String
        var left: Int64
        var expires: Int64
        var created: Int64
    }

    struct Member {
        var lots: [Lot] = []
        var shortfall: Int64 = 0
        var balance: Int64 { lots.reduce(0) { $0 + $1.left } - shortfall }
        /// What can be spent at `time`: lots expiring after it, less the shortfall.
        func spendable(at time: Int64) -> Int64 { lots.filter { $0.expires > time }.reduce(0) { $0 + $1.left } - shortfall }
    }

    enum Kind { case accrual, redemption, refund, cancel }

    struct Entry {
        var member: String
        var kind: Kind
        var outcome: Outcome
        var amount: Int64 = 0
        var points: Int64 = 0
        var fee: Int64 = 0
        var lotId: Int64?
        var refunded: Int64 = 0
        var clawed: Int64 = 0
        var refundedFee: Int64 = 0
        var reversed = false
        var portions: [(lot: Int64, issuer: String, points: Int64)] = []
    }

    let programme: Programme
    var members: [String: Member] = [:]
    var journal: [String: Entry] = [:]
    var debts: [String: Int64] = [:]  // "payer>payee"
    /// Points taken from each issuer's lots by redemptions, net of cancels.
    var redeemedFrom: [String: Int64] = [:]
    /// Breakage per issuer.
    var expiredFrom: [String: Int64] = [:]

    init(programme: Programme) { self.programme = programme }

    private func key(_ partner: String, _ txn: String) -> String { partner + "\u{0}" + txn }

    private mutating func addDebt(_ payer: String, _ payee: String, _ amount: Int64) {
        debts["\(payer)>\(payee)", default: 0] += amount
    }

    /// Expiry is the effect of time, applied before every accepted transaction of the
    /// member (and never by a rejection or duplicate, which change nothing).
    private mutating func expire(_ memberId: String, at time: Int64) {
        for i in members[memberId, default: Member()].lots.indices where members[memberId]!.lots[i].expires <= time {
            expiredFrom[members[memberId]!.lots[i].issuer, default: 0] += members[memberId]!.lots[i].left
            members[memberId]!.lots[i].left = 0
        }
    }

    /// Takes from `first` then in redemption order; returns the portions.
    private mutating func take(_ points: Int64, _ memberId: String, first: Int64?) -> [(lot: Int64, issuer: String, points: Int64)] {
        var order = members[memberId, default: Member()].lots.indices.sorted {
            let a = members[memberId]!.lots[$0], b = members[memberId]!.lots[$1]
            return (a.expires, a.created, a.id) < (b.expires, b.created, b.id)
        }
        if let first, let i = order.firstIndex(where: { members[memberId]!.lots[$0].id == first }) {
            order.insert(order.remove(at: i), at: 0)
        }
        var remaining = points
        var portions: [(lot: Int64, issuer: String, points: Int64)] = []
        for i in order where remaining > 0 && members[memberId]!.lots[i].left > 0 {
            let portion = min(remaining, members[memberId]!.lots[i].left)
            members[memberId]!.lots[i].left -= portion
            remaining -= portion
            portions.append((members[memberId]!.lots[i].id, members[memberId]!.lots[i].issuer, portion))
        }
        return portions
    }

    /// The outcome the rules give `t` at `offset` (status, reason, delta, balance). Every
    /// balance reported is the one spendable at the event time.
    mutating func apply(_ t: Transaction, offset: Int64) -> Outcome {
        let memberId = t.memberId
        let time = t.eventTimeMilliseconds
        if members[memberId] == nil { members[memberId] = Member() }
        func reject(_ reason: RejectReason) -> Outcome {
            Outcome(status: .rejected, reason: reason, pointsDelta: 0, balanceAfter: members[memberId]!.spendable(at: time))
        }
        if let original = journal[key(t.partnerId, t.partnerTxnId)] {
            _ = original
            return Outcome(status: .duplicate, pointsDelta: 0, balanceAfter: members[memberId]!.spendable(at: time))
        }
        var entry = Entry(member: memberId, kind: .accrual, outcome: Outcome(status: .accepted))
        let outcome: Outcome
        switch t.body {
        case .accrual(let amount, _, let category):
            entry.kind = .accrual
            let points = amount * programme.partner(t.partnerId)!.earnBasisPoints(category: category) / 10_000 / programme.pointValueMinor
            let fee = amount * programme.partner(t.partnerId)!.operatorFeeBasisPoints / 10_000
            expire(memberId, at: time)
            let payoff = min(points, members[memberId]!.shortfall)
            members[memberId]!.shortfall -= payoff
            if points - payoff > 0 {
                members[memberId]!.lots.append(
                    Lot(
                        id: offset, issuer: t.partnerId, left: points - payoff,
                        expires: programme.expiry(eventTimeMilliseconds: t.eventTimeMilliseconds)!, created: t.eventTimeMilliseconds))
                entry.lotId = offset
            }
            if fee != 0 { addDebt(t.partnerId, programme.operatorId, fee) }
            (entry.amount, entry.points, entry.fee) = (amount, points, fee)
            outcome = Outcome(status: .accepted, pointsDelta: points, balanceAfter: members[memberId]!.balance)
        case .redemption(let points):
            entry.kind = .redemption
            if points <= 0 { outcome = reject(.invalidAmount); break }
            if members[memberId]!.spendable(at: time) < points { outcome = reject(.insufficientPoints); break }
            expire(memberId, at: time)
            entry.portions = take(points, memberId, first: nil)
            for p in entry.portions {
                addDebt(p.issuer, t.partnerId, p.points * programme.pointValueMinor)
                redeemedFrom[p.issuer, default: 0] += p.points
            }
            entry.points = points
            outcome = Outcome(status: .accepted, pointsDelta: -points, balanceAfter: members[memberId]!.balance)
        case .refund(let originalId, let amount, _):
            entry.kind = .refund
            guard var original = journal[key(t.partnerId, originalId)], original.member == memberId else {
                outcome = reject(.originalNotFound); break
            }
            if original.outcome.status != .accepted || original.kind != .accrual { outcome = reject(.wrongOriginalKind); break }
            if original.refunded + amount > original.amount { outcome = reject(.refundExceedsOriginal); break }
            expire(memberId, at: time)
            original.refunded += amount
            let clawed = original.points * original.refunded / original.amount
            let refundedFee = original.fee * original.refunded / original.amount
            let claw = clawed - original.clawed
            let feeBack = refundedFee - original.refundedFee
            (original.clawed, original.refundedFee) = (clawed, refundedFee)
            journal[key(t.partnerId, originalId)] = original
            let fromLots = take(claw, memberId, first: original.lotId).reduce(0) { $0 + $1.points }
            members[memberId]!.shortfall += claw - fromLots
            if feeBack != 0 { addDebt(t.partnerId, programme.operatorId, -feeBack) }
            outcome = Outcome(status: .accepted, pointsDelta: -claw, balanceAfter: members[memberId]!.balance)
        case .cancel(let originalId):
            entry.kind = .cancel
            guard var original = journal[key(t.partnerId, originalId)], original.member == memberId else {
                outcome = reject(.originalNotFound); break
            }
            if original.outcome.status != .accepted || original.kind != .redemption { outcome = reject(.wrongOriginalKind); break }
            if original.reversed { outcome = reject(.alreadyReversed); break }
            original.reversed = true
            journal[key(t.partnerId, originalId)] = original
            let before = members[memberId]!.spendable(at: time)
            for p in original.portions {
                let i = members[memberId]!.lots.firstIndex { $0.id == p.lot }!
                members[memberId]!.lots[i].left += p.points
                addDebt(p.issuer, t.partnerId, -p.points * programme.pointValueMinor)
                redeemedFrom[p.issuer, default: 0] -= p.points
            }
            // Points restored into a lot expired by now are breakage at once; only what is
            // still spendable pays off a shortfall.
            expire(memberId, at: time)
            let shortfall = members[memberId]!.shortfall
            if shortfall > 0 {
                members[memberId]!.shortfall -= take(shortfall, memberId, first: nil).reduce(0) { $0 + $1.points }
            }
            let after = members[memberId]!.balance
            outcome = Outcome(status: .accepted, pointsDelta: after - before, balanceAfter: after)
        case .card:
            // Card operations change no points; the random histories have none (CardTests).
            preconditionFailure("the reference ledger does not model card operations")
        }
        entry.outcome = outcome
        journal[key(t.partnerId, t.partnerTxnId)] = entry
        return outcome
    }
}
