import Kafka
import Ledger
import LoyaltyWire
import Programme
import Testing

@testable import Worker

@Suite(.timeLimit(.minutes(10)))
struct CardDirectoryRecordsTests {
    @Test("an accepted card operation adds its directory record, keyed by card; refusals and duplicates add none")
    func directoryRecords() throws {
        let writer = OutputRecords(topics: Topics(), partition: 2)
        func operation(_ txn: String, _ kind: Transaction.CardOperation.Kind) -> Transaction {
            Transaction(
                partnerId: "bank", partnerTxnId: txn, memberId: "fam-17", eventTimeMilliseconds: 1_767_225_600_000,
                body: .card(Transaction.CardOperation(kind, cardId: "kid-1")))
        }
        let enrol = operation("op-1", .enrol)
        let outputs: [LedgerOutput] = [
            .result(offset: 5, transaction: enrol, outcome: Outcome(status: .accepted), original: nil),
            .result(
                offset: 6, transaction: operation("op-2", .link), outcome: .rejected(.cardAlreadyLinked, "card.card_id: …", balanceAfter: 0),
                original: nil),
            .result(offset: 7, transaction: enrol, outcome: Outcome(status: .duplicate), original: Outcome(status: .accepted)),
        ]
        let records = try writer.records(for: outputs, context: OutputRecords.Context())
        #expect(records.map(\.topic) == ["loyalty.results", "loyalty.results", "loyalty.results", "loyalty.cards"])
        let directory = try #require(records.last)
        #expect(directory.key == Array("kid-1".utf8))
        #expect(InboundMessage.decode(directory.value) == .success(.transaction(enrol, traceId: "")))
        // The same outputs give the same bytes: a replayed batch republishes the same record.
        #expect(try writer.records(for: outputs, context: OutputRecords.Context()).last?.value == directory.value)
    }
}
