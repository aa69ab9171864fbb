import Foundation
import Ledger
import Programme
import Testing

@Suite(.timeLimit(.minutes(10)))
struct ReplayTests {
    static let entries = Workload.entries(seed: 42, count: 3000)

    @Test func digestIndependentOfBatchBoundaries() throws {
        var digests: [String] = []
        var outputs: [[LedgerOutput]] = []
        for size in [1, 7, 5000] {
            let h = try Harness()
            outputs.append(try h.shard.apply(Self.entries, batchSize: size))
            digests.append(try h.shard.digest())
            #expect(try h.shard.nextOffset() == 3000)
        }
        #expect(Set(digests).count == 1)
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        // The workload exercises everything.
        let positions = outputs[0].filter { if case .position = $0 { true } else { false } }
        #expect(positions.count > 10)
        let statuses = Set(outputs[0].compactMap { if case .result(_, _, let o, _, _) = $0 { o.status } else { nil } })
        #expect(statuses == [.accepted, .rejected, .duplicate])
        // Lots expire, lazily (before accepted transactions) and at barriers.
        let h = try Harness()
        try h.shard.apply(Self.entries, batchSize: 100)
        #expect(try h.shard.totals().partners.reduce(0) { $0 + $1.expired } > 0)
    }

    @Test func reopenAndRedeliveryGiveTheSameLedger() throws {
        let straight = try Harness()
        try straight.shard.apply(Self.entries, batchSize: 250)

        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<1234]), batchSize: 100)
        try h.reopen()
        #expect(try h.shard.nextOffset() == 1234)
        // The consumer re-delivers from an older position: entries below nextOffset are skipped.
        let outputs = try h.shard.apply(Array(Self.entries[1000..<1500]), batchSize: 500)
        let offsets = outputs.compactMap { output -> Int64? in
            switch output {
            case .result(let offset, _, _, _, _), .inquiry(let offset, _, _, _): offset
            case .position(let p): p.barrierOffset
            }
        }
        #expect(offsets.allSatisfy { $0 >= 1234 })
        try h.reopen()
        try h.shard.apply(Array(Self.entries[1500...]), batchSize: 333)
        #expect(try h.shard.digest() == straight.shard.digest())
        #expect(try h.shard.positions() == straight.shard.positions())
        #expect(try h.shard.totals() == straight.shard.totals())
    }

    @Test func beforeCommitFailureRollsEverythingBack() throws {
        struct PublishFailed: Error {}
        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<500]), batchSize: 100)
        let digest = try h.shard.digest()
        let next = try h.shard.nextOffset()
        let batch = LedgerBatch(entries: Array(Self.entries[500..<900]), nextOffset: 900)
        var published: [LedgerOutput] = []
        #expect(throws: PublishFailed.self) {
            try h.shard.apply(batch) { outputs in
                published = outputs
                throw PublishFailed()
            }
        }
        #expect(!published.isEmpty)
        #expect(try h.shard.digest() == digest)
        #expect(try h.shard.nextOffset() == next)
        // The retry produces exactly what the failed attempt tried to publish.
        #expect(try h.shard.apply(batch) { _ in } == published)
        #expect(try h.shard.nextOffset() == 900)
    }

    @Test func fileBelongsToItsPartition() throws {
        let h = try Harness(partition: 3)
        h.shard.close()
        do {
            _ = try Shard(path: h.path, partition: 4, programme: h.programme)
            Issue.record("opened partition 3's file as partition 4")
        } catch {
            #expect(error.code == .wrongPartition)
            #expect(error.message.contains("partition 3"))
        }
        h.shard = try Shard(path: h.path, partition: 3, programme: h.programme)
    }

    @Test func malformedBatchesAreRefused() throws {
        let h = try Harness()
        let t = Transaction(partnerId: "alpha", partnerTxnId: "a", memberId: "m", eventTimeMilliseconds: 0, body: accrual(100))
        #expect(throws: LedgerError.self) {
            try h.shard.apply(
                LedgerBatch(
                    entries: [
                        LedgerEntry(offset: 5, kind: .transaction(t)), LedgerEntry(offset: 5, kind: .inquiry(memberId: "m", atMilliseconds: 1)),
                    ], nextOffset: 6)
            ) { _ in }
        }
        #expect(throws: LedgerError.self) {
            try h.shard.apply(LedgerBatch(entries: [LedgerEntry(offset: 5, kind: .transaction(t))], nextOffset: 5)) { _ in }
        }
        #expect(try h.shard.nextOffset() == 0)
        // A gap in offsets (compacted or transactional markers) is fine.
        _ = try h.shard.apply(LedgerBatch(entries: [LedgerEntry(offset: 5, kind: .transaction(t))], nextOffset: 8)) { _ in }
        #expect(try h.shard.nextOffset() == 8)
    }
}
