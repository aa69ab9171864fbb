import Basics
import Programme
import Testing

@testable import Ledger

/// Shared accounts and cards (docs/programme.md, "Shared accounts and cards"), hand-worked
/// on a shard: the hand-worked programme allows 4 cards per account; alpha earns 10 % at
/// 2 minor units a point, so an accrual of 10,000 earns 500 points.
@Suite(.timeLimit(.minutes(10)))
struct CardTests {
    static func card(_ kind: Transaction.CardOperation.Kind, _ cardId: String, to target: String = "") -> Transaction.Body {
        .card(Transaction.CardOperation(kind, cardId: cardId, targetMemberId: target))
    }

    /// A transaction naming `cardId` (empty: none) for `member`'s account.
    static func transaction(
        _ txnId: String, _ member: String, _ body: Transaction.Body, card cardId: String = "", partner: String = "alpha",
        at time: Int64 = Clock.t0
    ) -> Transaction {
        var details = Transaction.Details()
        details.cardId = cardId
        return Transaction(
            partnerId: partner, partnerTxnId: txnId, memberId: member, eventTimeMilliseconds: time, body: body, details: details)
    }

    @discardableResult
    func run(_ h: Harness, _ t: Transaction) throws -> Outcome {
        guard case .result(_, _, let outcome, _, _) = try #require(try h.run([.transaction(t)]).first) else {
            Issue.record("expected a result")
            return Outcome(status: .rejected)
        }
        return outcome
    }

    @discardableResult
    func op(
        _ h: Harness, _ txnId: String, _ member: String, _ kind: Transaction.CardOperation.Kind, _ cardId: String, to target: String = ""
    ) throws -> Outcome {
        try run(h, Self.transaction(txnId, member, Self.card(kind, cardId, to: target)))
    }

    @Test func fourCardsThenTheFifthIsRefused() throws {
        let h = try Harness()
        for n in 1...4 {
            let outcome = try op(h, "e\(n)", "family", .enrol, "c\(n)")
            #expect(outcome.status == .accepted && outcome.pointsDelta == 0 && outcome.detail == "card c\(n) active")
        }
        let fifth = try op(h, "e5", "family", .enrol, "c5")
        #expect(fifth.status == .rejected && fifth.reason == .cardLimitReached)
        #expect(fifth.detail.contains("4 active cards"))
        #expect(try h.shard.card("c5") == nil)
        #expect(try h.shard.cards().map(\.cardId) == ["c1", "c2", "c3", "c4"])
        // A blocked card no longer counts: the family may replace it.
        #expect(try op(h, "b1", "family", .block, "c1").status == .accepted)
        #expect(try op(h, "e6", "family", .enrol, "c5").status == .accepted)
        // Another account has its own limit.
        #expect(try op(h, "e7", "single", .enrol, "c6").status == .accepted)
    }

    @Test func unlinkThenLinkAgain() throws {
        let h = try Harness()
        try op(h, "e1", "a", .enrol, "c1")
        #expect(try op(h, "u1", "a", .unlink, "c1").status == .accepted)
        #expect(try h.shard.card("c1")?.state == .unlinked)
        let naming = try run(h, Self.transaction("p1", "a", accrual(10_000), card: "c1"))
        #expect(naming.status == .rejected && naming.reason == .cardNotOnAccount)
        // Unlinking twice: the card is no longer on the account.
        #expect(try op(h, "u2", "a", .unlink, "c1").reason == .cardNotOnAccount)
        // ENROL is for new cards; LINK takes an unlinked one back.
        #expect(try op(h, "e2", "a", .enrol, "c1").reason == .cardAlreadyLinked)
        #expect(try op(h, "l1", "a", .link, "c1").status == .accepted)
        #expect(try op(h, "l2", "a", .link, "c1").reason == .cardAlreadyLinked)
        let accepted = try run(h, Self.transaction("p2", "a", accrual(10_000), card: "c1"))
        #expect(accepted.status == .accepted && accepted.pointsDelta == 500)
    }

    @Test func blockedCardIsRefused() throws {
        let h = try Harness()
        try op(h, "e1", "a", .enrol, "c1")
        #expect(try run(h, Self.transaction("p1", "a", accrual(10_000), card: "c1")).status == .accepted)
        let blocked = try op(h, "b1", "a", .block, "c1")
        #expect(blocked.status == .accepted && blocked.balanceAfter == 500)
        let accrual = try run(h, Self.transaction("p2", "a", accrual(10_000), card: "c1"))
        #expect(accrual.status == .rejected && accrual.reason == .cardBlocked && accrual.balanceAfter == 500)
        let redemption = try run(h, Self.transaction("p3", "a", .redemption(points: 100), card: "c1"))
        #expect(redemption.reason == .cardBlocked)
        // Blocked for good: it cannot be unlinked, linked or blocked again.
        #expect(try op(h, "u1", "a", .unlink, "c1").reason == .cardBlocked)
        #expect(try op(h, "l1", "b", .link, "c1").reason == .cardBlocked)
        #expect(try op(h, "b2", "a", .block, "c1").reason == .cardBlocked)
        // The account is still the member's: without the card its points are spendable.
        #expect(try run(h, Self.transaction("p4", "a", .redemption(points: 100))).status == .accepted)
        // A refund of the accrual made with the card follows its original, blocked or not.
        let refund = try run(h, Self.transaction("r1", "a", .refund(originalPartnerTxnId: "p1", amountMinor: 2_000, currency: "EUR"), card: "c1"))
        #expect(refund.status == .accepted && refund.pointsDelta == -100)
        #expect(try h.shard.member("a").balance == 300)
    }

    @Test func cardOfAnotherAccountOrUnknownIsRefused() throws {
        let h = try Harness()
        try op(h, "e1", "a", .enrol, "c1")
        let other = try run(h, Self.transaction("p1", "b", accrual(10_000), card: "c1"))
        #expect(other.status == .rejected && other.reason == .cardNotOnAccount)
        #expect(other.detail == "card_id: \"c1\" is not on account \"b\"")
        let unknown = try run(h, Self.transaction("p2", "a", accrual(10_000), card: "nope"))
        #expect(unknown.reason == .unknownCard && unknown.detail.hasPrefix("card_id: \"nope\""))
        #expect(try h.shard.member("a").balance == 0 && h.shard.member("b").balance == 0)
        // Operations on a card of another account.
        #expect(try op(h, "e2", "b", .enrol, "c1").reason == .cardAlreadyLinked)
        #expect(try op(h, "l1", "b", .link, "c1").reason == .cardAlreadyLinked)
        #expect(try op(h, "b1", "b", .block, "c1").reason == .cardNotOnAccount)
        #expect(try op(h, "u1", "b", .unlink, "nope").reason == .unknownCard)
        #expect(try h.shard.card("c1") == CardRecord(cardId: "c1", memberId: "a", state: .active, changedAtMilliseconds: Clock.t0, changedOffset: 0))
    }

    @Test func transactionNamingACardIsAppliedToTheAccount() throws {
        let h = try Harness()
        try op(h, "e1", "family", .enrol, "mum")
        try op(h, "e2", "family", .enrol, "kid")
        #expect(try run(h, Self.transaction("p1", "family", accrual(10_000), card: "mum")).pointsDelta == 500)
        #expect(try run(h, Self.transaction("p2", "family", accrual(4_000), card: "kid", partner: "beta")).pointsDelta == 100)
        // The kid spends points the family earned on either card.
        let spent = try run(h, Self.transaction("p3", "family", .redemption(points: 550), card: "kid", partner: "gamma"))
        #expect(spent.status == .accepted && spent.balanceAfter == 50)
        #expect(try h.debt("alpha", "gamma") == 1_000)
        #expect(try h.debt("beta", "gamma") == 100)
    }

    @Test func moveBetweenAccounts() throws {
        let h = try Harness()
        try op(h, "e1", "a", .enrol, "c1")
        #expect(try op(h, "m1", "a", .move, "c1", to: "a").reason == .invalidField)
        let moved = try op(h, "m2", "a", .move, "c1", to: "b")
        #expect(moved.status == .accepted && moved.detail == "card c1 unlinked, moving to account b")
        // Between the two halves the card is on no account: refused at both, applied to neither.
        #expect(try run(h, Self.transaction("p1", "a", accrual(10_000), card: "c1")).reason == .cardNotOnAccount)
        #expect(try run(h, Self.transaction("p2", "b", accrual(10_000), card: "c1")).reason == .cardNotOnAccount)
        #expect(try op(h, "l1", "b", .link, "c1").status == .accepted)
        // A directory still pointing at the old account: refused there, never applied to it.
        #expect(try run(h, Self.transaction("p3", "a", accrual(10_000), card: "c1")).reason == .cardNotOnAccount)
        #expect(try run(h, Self.transaction("p4", "b", accrual(10_000), card: "c1")).pointsDelta == 500)
        #expect(try h.shard.member("a").balance == 0 && h.shard.member("b").balance == 500)
        #expect(try h.shard.card("c1")?.memberId == "b")
    }

    @Test func repeatedOperationIsADuplicate() throws {
        let h = try Harness()
        #expect(try op(h, "e1", "a", .enrol, "c1").status == .accepted)
        let repeated = try op(h, "e1", "a", .enrol, "c1")
        #expect(repeated.status == .duplicate)
        // A repeat of a refused operation repeats the refusal, even when it would pass now.
        for n in 2...5 { try op(h, "e\(n)", "a", .enrol, "c\(n)") }
        #expect(try op(h, "e5", "a", .enrol, "c5").status == .duplicate)
        try op(h, "u1", "a", .unlink, "c1")
        #expect(try op(h, "e5", "a", .enrol, "c5").status == .duplicate)
        #expect(try h.shard.card("c5") == nil)
    }

    /// Card operations and transactions naming cards over a few accounts, some refused.
    static func workload(seed: UInt64, count: Int) -> [LedgerEntry] {
        var random = SplitMix64(seed: seed)
        // Enrols and links weigh more, so accounts fill up to their limit.
        let kinds: [Transaction.CardOperation.Kind] = [.enrol, .enrol, .enrol, .link, .link, .unlink, .block, .move]
        var time = Clock.t0
        var entries: [LedgerEntry] = []
        for offset in 0..<Int64(count) {
            time += Int64(random.below(3_600_000))
            let member = "m\(random.below(3))"
            let cardId = "c\(random.below(24))"
            let txn = "t\(random.below(count))"  // some repeat: duplicates
            let roll = random.below(100)
            let kind: LedgerEntry.Kind
            switch roll {
            case 0..<40:
                let operation = kinds[random.below(kinds.count)]
                let target = operation == .move ? "m\(random.below(3))" : ""
                kind = .transaction(Self.transaction(txn, member, Self.card(operation, cardId, to: target), at: time))
            case 40..<80:
                kind = .transaction(Self.transaction(txn, member, accrual(Int64(100 + random.below(20_000))), card: cardId, at: time))
            case 80..<95:
                kind = .transaction(Self.transaction(txn, member, .redemption(points: Int64(1 + random.below(300))), card: cardId, at: time))
            case 95..<98:
                kind = .barrier(cycle: offset, closedAtMilliseconds: time)
            default:
                kind = .inquiry(memberId: member, atMilliseconds: time)
            }
            entries.append(LedgerEntry(offset: offset, kind: kind))
        }
        return entries
    }

    @Test func replayInOtherBatchSizesGivesTheSameCardsAndDigest() throws {
        let entries = Self.workload(seed: 13, count: 1500)
        var digests: Set<String> = []
        var outputs: [[LedgerOutput]] = []
        var cards: [[CardRecord]] = []
        for size in [1, 7, 1500] {
            let h = try Harness()
            outputs.append(try h.shard.apply(entries, batchSize: size))
            digests.insert(try h.shard.digest())
            cards.append(try h.shard.cards())
        }
        #expect(digests.count == 1)
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        #expect(cards[0] == cards[1] && cards[1] == cards[2])
        // The workload reaches every card state and every card reason.
        #expect(Set(cards[0].map(\.state)) == Set(CardRecord.State.allCases))
        let reasons = Set(outputs[0].compactMap { if case .result(_, _, let o, _, _) = $0 { o.reason } else { nil } })
        for reason in [RejectReason.unknownCard, .cardBlocked, .cardLimitReached, .cardNotOnAccount, .cardAlreadyLinked] {
            #expect(reasons.contains(reason), "\(reason) never happened")
        }
        // Reopened half-way, the same ledger.
        let h = try Harness()
        try h.shard.apply(Array(entries[..<700]), batchSize: 50)
        try h.reopen()
        try h.shard.apply(Array(entries[700...]), batchSize: 333)
        #expect(try h.shard.digest() == digests.first)
    }

    /// An independent model of the cards (a dictionary and the table of docs/programme.md)
    /// against the shard, over random histories: every card operation and every transaction
    /// naming a card gets the outcome the model predicts, no account ever holds more than
    /// `max_cards_per_account` active cards, and the shard's cards end equal to the model's.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func cardsFollowTheModel(seed: UInt64) throws {
        let h = try Harness()
        let limit = h.programme.maxCardsPerAccount
        var model: [String: (account: String, state: CardRecord.State)] = [:]
        var seen: Set<String> = []
        for entry in Self.workload(seed: seed, count: 1200) {
            guard case .transaction(let t) = entry.kind else {
                try h.run([entry.kind])
                continue
            }
            let offset = h.offset
            let outcome = try run(h, t)
            let repeated = !seen.insert(t.partnerTxnId).inserted
            if repeated {
                #expect(outcome.status == .duplicate)
                continue
            }
            switch t.body {
            case .card(let operation):
                let card = model[operation.cardId]
                let active = model.values.filter { $0.account == t.memberId && $0.state == .active }.count
                let expected: RejectReason?
                switch operation.kind {
                case .enrol, .link:
                    switch card?.state {
                    case .blocked: expected = .cardBlocked
                    case .active: expected = .cardAlreadyLinked
                    case .unlinked where operation.kind == .enrol: expected = .cardAlreadyLinked
                    default: expected = active >= limit ? .cardLimitReached : nil
                    }
                case .unlink, .block, .move:
                    if operation.kind == .move, operation.targetMemberId == t.memberId {
                        expected = .invalidField
                    } else if card == nil {
                        expected = .unknownCard
                    } else if card!.account != t.memberId || card!.state == .unlinked {
                        expected = .cardNotOnAccount
                    } else {
                        expected = card!.state == .blocked ? .cardBlocked : nil
                    }
                }
                #expect(outcome.reason == expected, "\(operation) on \(t.memberId): \(outcome.detail)")
                if expected == nil {
                    let state: CardRecord.State =
                        switch operation.kind {
                        case .enrol, .link: .active
                        case .block: .blocked
                        case .unlink, .move: .unlinked
                        }
                    model[operation.cardId] = (t.memberId, state)
                    #expect(try h.shard.card(operation.cardId)?.changedOffset == offset)
                }
            default:
                let card = model[t.details.cardId]
                let expected: RejectReason? =
                    card == nil
                    ? .unknownCard
                    : card!.account != t.memberId || card!.state == .unlinked ? .cardNotOnAccount : card!.state == .blocked ? .cardBlocked : nil
                if let expected {
                    #expect(outcome.status == .rejected && outcome.reason == expected, "\(t.details.cardId): \(outcome.detail)")
                } else {
                    // Applied to the account, or refused for a reason of its own (the balance).
                    #expect(outcome.status == .accepted || outcome.reason == .insufficientPoints)
                }
            }
            for account in Set(model.values.map(\.account)) {
                #expect(model.values.filter { $0.account == account && $0.state == .active }.count <= limit)
            }
        }
        let stored = try h.shard.cards()
        #expect(stored.map(\.cardId) == model.keys.sorted())
        for card in stored { #expect(model[card.cardId]! == (card.memberId, card.state)) }
    }

    /// The rules over dictionaries (`MemoryLedger`) decide every card entry as the shard does.
    @Test func memoryLedgerAgreesWithTheShard() throws {
        let entries = Self.workload(seed: 7, count: 800)
        let h = try Harness()
        var memory = MemoryLedger(programme: .handWorked)
        for entry in entries {
            guard case .transaction(let t) = entry.kind else { continue }
            let (expected, _) = memory.apply(t, offset: h.offset)
            let outputs = try h.run([.transaction(t)])
            guard case .result(_, _, let outcome, _, _) = try #require(outputs.first) else { continue }
            #expect(outcome.status == expected.status && outcome.reason == expected.reason)
            if outcome.status != .duplicate { #expect(outcome.detail == expected.detail) }
            #expect(outcome.balanceAfter == expected.balanceAfter)
        }
        #expect(try h.shard.cards() == memory.cards.values.sorted { $0.cardId < $1.cardId })
    }
}
