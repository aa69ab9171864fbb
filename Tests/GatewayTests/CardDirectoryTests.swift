import Foundation
import Gateway
import Kafka
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing
import Worker

/// proto3 JSON of a card operation on `member`'s account.
func cardOperationJSON(partner: String, txn: String, member: String, kind: String, card: String, target: String? = nil) -> [UInt8] {
    let targetField = target.map { ",\"targetMemberId\":\"\($0)\"" } ?? ""
    return Array(
        """
        {"partnerId":"\(partner)","partnerTxnId":"\(txn)","memberId":"\(member)","occurredAtMs":"1790000000000",\
        "card":{"kind":"\(kind)","cardId":"\(card)"\(targetField)}}
        """.utf8)
}

/// proto3 JSON of an accrual naming only a card (no member).
func cardAccrualJSON(partner: String, txn: String, card: String, amountMinor: Int64 = 10_000) -> [UInt8] {
    Array(
        """
        {"partnerId":"\(partner)","partnerTxnId":"\(txn)","cardId":"\(card)","occurredAtMs":"1790000000000",\
        "accrual":{"amountMinor":"\(amountMinor)","currency":"EUR","category":"pharmacy"}}
        """.utf8)
}

@Suite("Card directory: the gateway resolves a card to its account", .serialized, .timeLimit(.minutes(10)))
struct CardDirectoryTests {
    /// Waits until the gateway's directory has read `card` in `state`.
    func waitForDirectory(_ harness: GatewayHarness, _ card: String, _ state: CardDirectory.Entry.State) async throws {
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            if harness.gateway.cards.lookup(card)?.state == state { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the card directory never showed \(card) \(state)")
    }

    @Test("enrol a card, then a transaction naming only the card is applied to the account; an unknown card is refused")
    func cardOnlyTransactionReachesTheAccount() async throws {
        let harness = try await GatewayHarness()
        let pool = harness.startWorkers()
        let signer = harness.signers["pharmacy"]!
        let wait = "/v1/transactions?wait=true&timeout_ms=30000"

        let unknown = try await harness.send(
            "POST", wait, body: cardAccrualJSON(partner: "pharmacy", txn: "k-0", card: "card-7"), contentType: "application/json",
            signer: signer)
        #expect(unknown.status == 422, "\(unknown.body)")
        #expect(unknown.errorField == "card_id")
        #expect(unknown.body.contains("UNKNOWN_CARD"))

        let enrol = try await harness.send(
            "POST", wait, body: cardOperationJSON(partner: "pharmacy", txn: "k-1", member: "family-9", kind: "ENROL", card: "card-7"),
            contentType: "application/json", signer: signer)
        #expect(enrol.status == 200, "\(enrol.body)")
        #expect(enrol.json["status"] as? String == "ACCEPTED")
        try await waitForDirectory(harness, "card-7", .active)
        #expect(harness.gateway.cards.lookup("card-7")?.memberId == "family-9")

        // 10,000 minor at pharmacy/pharmacy = 600 points, on the family's account.
        let earn = try await harness.send(
            "POST", wait, body: cardAccrualJSON(partner: "pharmacy", txn: "k-2", card: "card-7"), contentType: "application/json",
            signer: signer)
        #expect(earn.status == 200, "\(earn.body)")
        #expect(earn.json["status"] as? String == "ACCEPTED")
        #expect(earn.json["points_delta"] as? Int == 600)
        let balance = try await harness.send("GET", "/v1/members/family-9/balance?timeout_ms=30000", signer: signer)
        #expect(balance.json["balance"] as? Int == 600, "\(balance.body)")

        // A partner naming the card with another member of the same partition: its shard knows
        // the card is on family-9's account and refuses; in another partition it is unknown.
        let partition = Murmur2.partition(key: Array("family-9".utf8), partitionCount: harness.partitions)
        let neighbour = try #require(
            (0..<1_000).map { "member-\($0)" }.first { Murmur2.partition(key: Array($0.utf8), partitionCount: harness.partitions) == partition })
        var wrong = Loyalty_V1_TransactionEnvelope()
        wrong.partnerID = "pharmacy"
        wrong.partnerTxnID = "k-3"
        wrong.memberID = neighbour
        wrong.cardID = "card-7"
        wrong.occurredAtMs = 1_790_000_000_000
        wrong.accrual = .with {
            $0.amountMinor = 10_000
            $0.currency = "EUR"
            $0.category = "pharmacy"
        }
        let refused = try await harness.send(
            "POST", wait, body: Array(try wrong.jsonUTF8Data()), contentType: "application/json", signer: signer)
        #expect(refused.json["status"] as? String == "REJECTED", "\(refused.body)")
        #expect(refused.json["reason"] as? String == "CARD_NOT_ON_ACCOUNT")
        let elsewhere = (0..<1_000).map { "member-\($0)" }.first {
            Murmur2.partition(key: Array($0.utf8), partitionCount: harness.partitions) != partition
        }
        wrong.memberID = try #require(elsewhere)
        wrong.partnerTxnID = "k-3b"
        let unknownThere = try await harness.send(
            "POST", wait, body: Array(try wrong.jsonUTF8Data()), contentType: "application/json", signer: signer)
        #expect(unknownThere.json["reason"] as? String == "UNKNOWN_CARD", "\(unknownThere.body)")

        // Blocked: the directory follows, the edge refuses, and a LINK elsewhere is refused too.
        let block = try await harness.send(
            "POST", wait, body: cardOperationJSON(partner: "pharmacy", txn: "k-4", member: "family-9", kind: "BLOCK", card: "card-7"),
            contentType: "application/json", signer: signer)
        #expect(block.json["status"] as? String == "ACCEPTED", "\(block.body)")
        try await waitForDirectory(harness, "card-7", .blocked)
        let afterBlock = try await harness.send(
            "POST", wait, body: cardAccrualJSON(partner: "pharmacy", txn: "k-5", card: "card-7"), contentType: "application/json",
            signer: signer)
        #expect(afterBlock.status == 422 && afterBlock.body.contains("CARD_BLOCKED"), "\(afterBlock.body)")
        let link = try await harness.send(
            "POST", wait, body: cardOperationJSON(partner: "pharmacy", txn: "k-6", member: "thief", kind: "LINK", card: "card-7"),
            contentType: "application/json", signer: signer)
        #expect(link.status == 422 && link.body.contains("CARD_BLOCKED"), "\(link.body)")
        try await pool.stop()
        await harness.stop()
    }

    @Test("MOVE through the gateway: the MOVE on the source account, then its LINK on the target; card-only transactions follow")
    func moveThroughTheGateway() async throws {
        let harness = try await GatewayHarness()
        let pool = harness.startWorkers()
        let signer = harness.signers["pharmacy"]!
        let wait = "/v1/transactions?wait=true&timeout_ms=30000"
        let enrol = try await harness.send(
            "POST", wait, body: cardOperationJSON(partner: "pharmacy", txn: "mv-1", member: "parents", kind: "ENROL", card: "card-k"),
            contentType: "application/json", signer: signer)
        #expect(enrol.json["status"] as? String == "ACCEPTED", "\(enrol.body)")
        // Without wait=true: a MOVE still answers with its result and its LINK's.
        let move = try await harness.send(
            "POST", "/v1/transactions?timeout_ms=30000",
            body: cardOperationJSON(partner: "pharmacy", txn: "mv-2", member: "parents", kind: "MOVE", card: "card-k", target: "grown-up"),
            contentType: "application/json", signer: signer)
        #expect(move.status == 200, "\(move.body)")
        #expect(move.json["status"] as? String == "ACCEPTED")
        let link = try #require(move.json["link"] as? [String: Any], "\(move.body)")
        #expect(link["partner_txn_id"] as? String == "mv-2:link")
        #expect(link["status"] as? String == "ACCEPTED")
        try await waitForDirectory(harness, "card-k", .active)
        let deadline = Date().addingTimeInterval(180)
        while harness.gateway.cards.lookup("card-k")?.memberId != "grown-up", Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(harness.gateway.cards.lookup("card-k")?.memberId == "grown-up")
        let earn = try await harness.send(
            "POST", wait, body: cardAccrualJSON(partner: "pharmacy", txn: "mv-3", card: "card-k"), contentType: "application/json",
            signer: signer)
        #expect(earn.json["status"] as? String == "ACCEPTED", "\(earn.body)")
        let balance = try await harness.send("GET", "/v1/members/grown-up/balance?timeout_ms=30000", signer: signer)
        #expect(balance.json["balance"] as? Int == 600, "\(balance.body)")
        // A retry of the MOVE is a DUPLICATE, and so is its LINK.
        let again = try await harness.send(
            "POST", wait,
            body: cardOperationJSON(partner: "pharmacy", txn: "mv-2", member: "parents", kind: "MOVE", card: "card-k", target: "grown-up"),
            contentType: "application/json", signer: signer)
        #expect(again.json["status"] as? String == "DUPLICATE", "\(again.body)")
        #expect((again.json["link"] as? [String: Any])?["status"] as? String == "DUPLICATE")
        try await pool.stop()
        await harness.stop()
    }

    @Test("directory merge: a move's unlink arriving after its link does not undo it; blocked stays blocked")
    func mergeRule() {
        typealias Entry = CardDirectory.Entry
        let linkedOnT = Entry(memberId: "t", state: .active, changedAtMilliseconds: 2)
        let leftS = Entry(memberId: "s", state: .unlinked, changedAtMilliseconds: 2)
        #expect(CardDirectory.merged(linkedOnT, leftS) == linkedOnT)
        #expect(CardDirectory.merged(leftS, linkedOnT) == linkedOnT)
        let leftT = Entry(memberId: "t", state: .unlinked, changedAtMilliseconds: 3)
        #expect(CardDirectory.merged(linkedOnT, leftT) == leftT)
        let blocked = Entry(memberId: "t", state: .blocked, changedAtMilliseconds: 4)
        #expect(CardDirectory.merged(blocked, linkedOnT) == blocked)
        #expect(CardDirectory.merged(nil, leftS) == leftS)
    }
}
