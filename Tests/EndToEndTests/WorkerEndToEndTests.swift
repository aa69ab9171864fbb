import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing
import Worker

@Suite("Accrual worker on the mock cluster", .timeLimit(.minutes(10)))
struct WorkerEndToEndTests {
    private static let day: Int64 = 86_400_000
    private static let t0: Int64 = 1_767_225_600_000  // 2026-01-01

    private func accrual(
        _ id: String, member: String = "m-1", partner: String = "fuel", amount: Int64 = 10_000, currency: String = "EUR", at: Int64 = t0
    ) -> Transaction {
        Transaction(
            partnerId: partner, partnerTxnId: id, memberId: member, eventTimeMilliseconds: at,
            body: .accrual(amountMinor: amount, currency: currency, category: ""))
    }

    private func transaction(
        _ id: String, _ body: Transaction.Body, member: String = "m-1", partner: String = "cinema", at: Int64 = t0 + day
    ) -> Transaction {
        Transaction(partnerId: partner, partnerTxnId: id, memberId: member, eventTimeMilliseconds: at, body: body)
    }

    @Test("bad input: dead letters for undecodable records, REJECTED with a reason for invalid transactions, and the worker carries on")
    func badInput() async throws {
        let test = try TestCluster(partitions: 1)
        let good = accrual("ok-1")
        let goodBytes: [UInt8] = try Loyalty_V1_TransactionEnvelope(good).serializedBytes()
        let garbage: [UInt8] = [0xFF, 0x13, 0x00, 0x42, 0x99, 0x01]
        let truncated = Array(goodBytes.dropLast(4))
        var records: [(key: String, value: [UInt8])] = [("m-1", goodBytes), ("m-1", garbage), ("m-1", truncated)]
        let invalid: [(Transaction, Loyalty_V1_ReasonCode)] = [
            (accrual("bad-partner", partner: "no-such-partner"), .unknownPartner),
            (accrual("zero", amount: 0), .invalidAmount),
            (accrual("negative", amount: -5), .invalidAmount),
            (accrual("huge", amount: 9_000_000_000_000_000), .invalidAmount),
            (accrual("dollars", currency: "USD"), .currencyMismatch),
            (transaction("too-much", .redemption(points: 1_000_000)), .insufficientPoints),
            (
                transaction("refund-unknown", .refund(originalPartnerTxnId: "never", amountMinor: 10, currency: "EUR"), partner: "fuel"),
                .originalNotFound
            ),
            (transaction("spend", .redemption(points: 10)), .unspecified),
            (transaction("cancel-1", .cancel(originalPartnerTxnId: "spend")), .unspecified),
            (transaction("cancel-2", .cancel(originalPartnerTxnId: "spend")), .alreadyReversed),
        ]
        for (transaction, _) in invalid {
            records.append((transaction.memberId, try Loyalty_V1_TransactionEnvelope(transaction).serializedBytes()))
        }
        let last = accrual("ok-2", at: Self.t0 + 5 * Self.day)
        records.append((last.memberId, try Loyalty_V1_TransactionEnvelope(last).serializedBytes()))
        let ends = try test.produce(records)

        let pool = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("w"), programme: .sample, logger: test.logger)
        try await pool.waitUntilApplied(ends)
        try await pool.stop()

        let letters = try test.read(test.topics.deadLetters, atLeast: 2).map { try Loyalty_V1_DeadLetter(serializedBytes: $0.value) }
        #expect(letters.count == 2)
        #expect(letters.map(\.offset) == [1, 2])
        #expect(letters.map { Array($0.rawValue) } == [garbage, truncated])
        #expect(letters.allSatisfy { $0.reason.hasPrefix("record:") && $0.sourceTopic == test.topics.transactions })

        let results = try test.results(atLeast: invalid.count + 2)
        let byId = Dictionary(results.map { ($0.partnerTxnID, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(results.count == invalid.count + 2)
        for (transaction, reason) in invalid where reason != .unspecified {
            let result = try #require(byId[transaction.partnerTxnId], "no result for \(transaction.partnerTxnId)")
            #expect(result.outcome.status == .rejected, "\(transaction.partnerTxnId)")
            #expect(result.outcome.reason == reason, "\(transaction.partnerTxnId)")
            #expect(!result.outcome.reasonDetail.isEmpty)
        }
        #expect(byId["zero"]?.outcome.reasonDetail.contains("amount_minor") == true)
        #expect(byId["dollars"]?.outcome.reasonDetail.contains("currency") == true)
        #expect(byId["ok-1"]?.outcome.status == .accepted)
        #expect(byId["cancel-1"]?.outcome.status == .accepted)
        // The worker went on after every bad record: the last accrual was applied too.
        #expect(byId["ok-2"]?.outcome.status == .accepted)
        let points = try #require(byId["ok-2"]?.outcome.pointsDelta)
        #expect(byId["ok-2"]?.outcome.balanceAfter == 2 * points)

        let totals = try #require(try test.digests(test.dataDirectory("w"))[0]).totals
        #expect(totals.deadLetters == 2)
        #expect(totals.rejected == 8)
    }

    @Test("a repeated (partner_id, partner_txn_id) gets DUPLICATE with the original outcome and changes nothing")
    func duplicates() async throws {
        let test = try TestCluster(partitions: 1)
        let earn = accrual("earn-1")
        let spend = transaction("spend-1", .redemption(points: 40))
        let ends = try test.produce([earn, spend, earn, spend, spend])
        let pool = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: test.dataDirectory("w"), programme: .sample, logger: test.logger)
        try await pool.waitUntilApplied(ends)
        try await pool.stop()

        let results = try test.results(atLeast: 5).sorted { $0.offset < $1.offset }
        try #require(results.count == 5)
        #expect(results.map(\.outcome.status) == [.accepted, .accepted, .duplicate, .duplicate, .duplicate])
        #expect(results[2].original == results[0].outcome)
        #expect(results[3].original == results[1].outcome)
        #expect(results[4].original == results[1].outcome)

        let shard = try Shard(
            path: WorkerConfiguration.shardPath(dataDirectory: test.dataDirectory("w"), partition: 0), partition: 0, programme: .sample)
        defer { shard.close() }
        #expect(try shard.member("m-1").balance == results[1].outcome.balanceAfter)
        #expect(try shard.totals().duplicates == 3)
    }

    @Test("two workers share the partitions; when one leaves, the other resumes its partitions from the shard files")
    func handOver() async throws {
        let test = try TestCluster(partitions: 6)
        let transactions = syntheticTransactions(6_000)
        let firstEnds = try test.produce(Array(transactions.prefix(3_000)))
        let data = test.dataDirectory("group")
        let pool = WorkerPool(count: 2, bootstrapServers: test.bootstrap, dataDirectory: data, programme: .sample, logger: test.logger)
        try await pool.waitUntilApplied(firstEnds)

        let first = Set(pool.workers[0].progress.snapshot.partitions.keys)
        let second = Set(pool.workers[1].progress.snapshot.partitions.keys)
        #expect(!first.isEmpty && !second.isEmpty, "both workers own partitions")
        #expect(first.isDisjoint(with: second))
        #expect(first.union(second) == Set(0..<6))
        let handedOver = second
        let offsetsAtHandOver = pool.nextOffsets

        try await pool.stop(workerAt: 1)
        let ends = try test.produce(Array(transactions.suffix(3_000)))
        try await pool.waitUntilApplied(ends, timeoutSeconds: 120)
        let survivor = pool.workers[0].progress.snapshot.partitions
        #expect(Set(survivor.keys) == Set(0..<6), "the survivor owns every partition")
        for partition in handedOver {
            #expect(survivor[partition]?.nextOffset == ends[partition], "partition \(partition) caught up")
            #expect((offsetsAtHandOver[partition] ?? 0) > 0, "partition \(partition) had progress to resume from")
        }
        try await pool.stop()

        // Resuming from the shard files neither lost nor repeated anything.
        let reference = try await test.referenceRun("reference", until: ends)
        let got = try test.digests(data)
        let want = try test.digests(reference)
        #expect(got.count == 6)
        for partition in 0..<Int32(6) {
            #expect(got[partition]?.digest == want[partition]?.digest, "partition \(partition)")
        }
    }

    @Test("rebuild: replaying a partition from offset 0 into an empty file gives the live digest")
    func rebuild() async throws {
        let test = try TestCluster(partitions: 2)
        let ends = try test.produce(syntheticTransactions(4_000))
        let live = try await test.referenceRun("live", until: ends)
        let liveDigests = try test.digests(live)
        for partition in Int32(0)..<2 {
            let rebuilt = try await ShardRebuilder(bootstrapServers: test.bootstrap, programme: .sample, logger: test.logger)
                .rebuild(partition: partition, upTo: ends[partition]!, into: test.dataDirectory("rebuilt"))
            #expect(rebuilt.nextOffset == ends[partition])
            #expect(rebuilt.digest == liveDigests[partition]?.digest)
        }
        // And a shard that is not what the log gives is told apart.
        let short = try await ShardRebuilder(bootstrapServers: test.bootstrap, programme: .sample, logger: test.logger)
            .rebuild(partition: 0, upTo: ends[0]! - 1, into: test.dataDirectory("short"))
        #expect(short.digest != liveDigests[0]?.digest)
    }
}
