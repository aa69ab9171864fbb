import CLoyaltyPOS
import LoyaltyTesting
import Testing

@testable import Kafka

/// The C SDK picks the partition the gateway's producer (Swift `Murmur2`) and librdkafka's
/// murmur2 partitioner pick, so records of a member land on one shard whoever sends them.
@Suite(.timeLimit(.minutes(10)))
struct PartitionTests {
    static let partitionCounts: [Int32] = [1, 2, 3, 7, 8, 12, 64, 1_000, Int32.max]

    @Test(.seeded(42)) func cMatchesSwiftAndLibrdkafkaForRandomKeys() {
        var random = RandomTransactions(seed: TestSeed.value)
        var keys = ["", "a", "ab", "abc", "abcd", "member-000042", "Jürgen-😀-中"]
        for _ in 0..<3_000 { keys.append(random.id()) }
        for key in keys {
            let bytes = Array(key.utf8)
            for count in Self.partitionCounts {
                let c = loyalty_pos_partition(key, count)
                #expect(c == Murmur2.partition(key: bytes, partitionCount: count), "key \(key) count \(count)")
                #expect(c == Murmur2.librdkafkaPartition(key: bytes, partitionCount: count), "key \(key) count \(count)")
            }
        }
    }

    @Test func refusesNonsense() {
        #expect(loyalty_pos_partition(nil, 8) == -1)
        #expect(loyalty_pos_partition("m", 0) == -1)
        #expect(loyalty_pos_partition("m", -3) == -1)
    }
}
