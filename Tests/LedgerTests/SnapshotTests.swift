import Foundation
import Ledger
import Programme
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(10)))
struct SnapshotTests {
    static let entries = Workload.entries(seed: 7, count: 3000)

    /// Snapshots taken while another thread applies batches are each the ledger of one
    /// committed batch: the digest of every copy equals that of a replay up to the offset
    /// the copy says it covers.
    @Test func aSnapshotIsTheLedgerAtTheOffsetItCovers() throws {
        let h = try Harness()
        try h.shard.apply(Array(Self.entries[..<500]), batchSize: 100)
        let rest = Array(Self.entries[500...])
        let shard = OwnedElsewhere(h.shard)
        let applying = Atomic<Bool>(true)
        let writerFailure = Mutex<String?>(nil)
        let writer = Thread {
            defer { applying.store(false, ordering: .releasing) }
            do {
                _ = try shard.value.apply(rest, batchSize: 10)
            } catch {
                writerFailure.withLock { $0 = "\(error)" }
            }
        }
        var copies: [ShardSnapshot] = []
        writer.start()
        while (applying.load(ordering: .acquiring) && copies.count < 12) || copies.isEmpty {
            let destination = h.directory.appendingPathComponent("copy-\(copies.count).sqlite").path
            copies.append(try Shard.snapshot(shardPath: h.path, partition: 3, to: destination))
            Thread.sleep(forTimeInterval: 0.03)
        }
        while applying.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.01) }
        #expect(writerFailure.withLock { $0 } == nil)
        #expect(copies.first!.nextOffset >= 500 && copies.first!.nextOffset < 3000)
        // Taken at different moments of the writer's run, not all before or after it.
        #expect(Set(copies.map(\.nextOffset)).count >= 2)

        let reference = try Harness()
        var replayed = 0
        for copy in copies.sorted(by: { $0.nextOffset < $1.nextOffset }) {
            let upTo = Int(copy.nextOffset)
            if upTo > replayed {
                try reference.shard.apply(Array(Self.entries[replayed..<upTo]), batchSize: 250)
                replayed = upTo
            }
            let restored = try Shard(path: copy.path, partition: 3, programme: h.programme)
            defer { restored.close() }
            #expect(try restored.nextOffset() == copy.nextOffset)
            #expect(try restored.digest() == reference.shard.digest(), "copy at offset \(copy.nextOffset)")
            #expect(copy.bytes > 0 && copy.partition == 3)
            #expect(copy.lastSealedCycle == (try reference.shard.positions().last?.cycle ?? -1))
        }
        // And a copy resumes like the original: the rest applied to the first copy gives the final ledger.
        let first = try Shard(path: copies[0].path, partition: 3, programme: h.programme)
        defer { first.close() }
        _ = try first.apply(Array(Self.entries[Int(copies[0].nextOffset)...]), batchSize: 300)
        #expect(try first.digest() == h.shard.digest())
    }

    @Test func aMissingShardOrAnotherPartitionsShardLeavesNoCopy() throws {
        let h = try Harness(partition: 3)
        try h.shard.apply(Array(Self.entries[..<100]), batchSize: 100)
        let destination = h.directory.appendingPathComponent("copy.sqlite").path
        let missing = #expect(throws: LedgerError.self) {
            try Shard.snapshot(shardPath: h.directory.appendingPathComponent("none.sqlite").path, partition: 3, to: destination)
        }
        #expect(missing?.message.contains("none.sqlite") == true)
        let wrong = #expect(throws: LedgerError.self) { try Shard.snapshot(shardPath: h.path, partition: 4, to: destination) }
        #expect(wrong?.code == .wrongPartition)
        #expect(!FileManager.default.fileExists(atPath: destination))
        // An existing destination is never overwritten.
        try Data([1]).write(to: URL(fileURLWithPath: destination))
        #expect(throws: LedgerError.self) { try Shard.snapshot(shardPath: h.path, partition: 3, to: destination) }
        #expect(FileManager.default.contents(atPath: destination) == Data([1]))
    }
}

/// Hands a shard to the one thread that uses it until the test reads it again.
/// @unchecked: the test thread does not touch the shard while the writer thread runs.
private final class OwnedElsewhere: @unchecked Sendable {
    let value: Shard
    init(_ value: Shard) { self.value = value }
}
