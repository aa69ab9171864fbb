import Foundation
import Ledger
import Programme
import Synchronization
import Testing

@testable import Worker

/// The worker's checkpoints off the loop thread: a shard whose WAL passed the bound is
/// checkpointed once, and the WAL starts over at its next commit.
@Suite("WAL checkpoints", .timeLimit(.minutes(10)))
struct WALCheckpointsTests {
    private static let t0: Int64 = 1_767_225_600_000  // 2026-01-01

    private static func batch(_ round: Int, size: Int) -> LedgerBatch {
        let entries = (0..<size).map { i in
            let offset = Int64(round * size + i)
            return LedgerEntry(
                offset: offset,
                kind: .transaction(
                    Transaction(
                        partnerId: "fuel", partnerTxnId: "t-\(offset)", memberId: "m-\(offset % 97)", eventTimeMilliseconds: t0,
                        body: .accrual(amountMinor: 10_000, currency: "EUR", category: ""))))
        }
        return LedgerBatch(entries: entries, nextOffset: Int64((round + 1) * size))
    }

    @Test("a WAL past the bound is checkpointed off the caller's thread, and starts over; one under it is left alone")
    func checkpointWhenDue() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walcp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("shard-0000.sqlite").path
        let shard = try Shard(path: path, partition: 0, programme: .sample)
        defer { shard.close() }
        let bound: Int64 = 512 << 10
        let checkpoints = WALCheckpoints(bound: bound)
        var round = 0
        while shard.walBytes < bound {
            _ = try shard.apply(Self.batch(round, size: 200)) { _ in }
            round += 1
            checkpoints.checkIfDue(shard)
            checkpoints.drain()
            // Under the bound: nothing taken.
            #expect(checkpoints.taken.load(ordering: .relaxed) == 0 || shard.walBytes >= bound)
        }
        #expect(checkpoints.taken.load(ordering: .relaxed) == 1)
        let before = shard.walBytes
        _ = try shard.apply(Self.batch(round, size: 200)) { _ in }
        // The next commit started the WAL over, writing over the file kept at its size.
        #expect(shard.walBytes < before / 2)
        #expect(Shard.walFileBytes(path: path) >= before)
        checkpoints.checkIfDue(shard)
        checkpoints.drain()
        #expect(checkpoints.taken.load(ordering: .relaxed) == 1)
        // Nobody wrote during it: a second pass found nothing new.
        #expect(checkpoints.passes.load(ordering: .relaxed) == 2)
        // The writer never checkpointed inside a COMMIT.
        #expect(shard.takeCommitCheckpoints() == 0)
        #expect(try shard.nextOffset() == Int64((round + 1) * 200))
    }
}
