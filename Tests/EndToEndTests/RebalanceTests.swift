import Foundation
import Kafka
import Ledger
import LoyaltyTesting
import Programme
import Testing
import Worker

/// Partitions that leave a worker and come back to it: the shard caches (member
/// balances, open lots, journal keys) of the first stay must not be used for the second.
@Suite("Rebalance and shard caches", .timeLimit(.minutes(10)))
struct RebalanceTests {
    @Test("a partition revoked, applied by another worker, then reassigned continues from the file, not from stale caches")
    func revokedAndReassigned() async throws {
        let test = try TestCluster(partitions: 4)
        // Few members: every member is touched in every part, so stale balances or lots
        // would show in the digest.
        let transactions = syntheticTransactions(6_000, members: 40, seed: 21)
        let data = test.dataDirectory("shared")
        let first = WorkerPool(count: 1, bootstrapServers: test.bootstrap, dataDirectory: data, programme: .sample, logger: test.logger)
        try await first.waitUntilApplied(try test.produce(Array(transactions[..<2_000])))
        let before = Set(first.workers[0].progress.snapshot.partitions.keys)
        #expect(before == Set(0..<4), "the first worker owns every partition")

        // A second worker joins the group: some partitions move to it and it applies the
        // next part of their logs to the same shard files.
        let second = WorkerPool(
            count: 1, bootstrapServers: test.bootstrap, dataDirectory: data, programme: .sample, logger: test.logger
        ) { $0.clientId = "loyalty-worker-second" }
        let deadline = Date().addingTimeInterval(120)
        while second.workers[0].progress.snapshot.partitions.isEmpty, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let middle = try test.produce(Array(transactions[2_000..<4_000]))
        try await waitUntilApplied([first, second], middle)
        let moved = Set(second.workers[0].progress.snapshot.partitions.keys)
        #expect(!moved.isEmpty, "the second worker took partitions over")

        // It leaves: its partitions come back to the first worker, whose caches of them
        // date from before the move.
        try await second.stop()
        let ends = try test.produce(Array(transactions[4_000...]))
        try await first.waitUntilApplied(ends, timeoutSeconds: 120)
        #expect(Set(first.workers[0].progress.snapshot.partitions.keys) == Set(0..<4))
        try await first.stop()

        let reference = try await test.referenceRun("reference", until: ends)
        let got = try test.digests(data)
        let want = try test.digests(reference)
        for partition in Int32(0)..<4 {
            #expect(got[partition]?.nextOffset == ends[partition], "partition \(partition)")
            #expect(got[partition]?.digest == want[partition]?.digest, "partition \(partition)")
        }
    }

    /// Waits until the pools together applied every partition up to `targets`.
    private func waitUntilApplied(_ pools: [WorkerPool], _ targets: [Int32: Int64]) async throws {
        let deadline = Date().addingTimeInterval(120)
        while true {
            var offsets: [Int32: Int64] = [:]
            for pool in pools {
                for (partition, offset) in pool.nextOffsets { offsets[partition] = max(offsets[partition] ?? 0, offset) }
            }
            if targets.allSatisfy({ (offsets[$0.key] ?? 0) >= $0.value }) { return }
            try #require(Date() < deadline, "not applied within 120 s: \(offsets) of \(targets)")
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
