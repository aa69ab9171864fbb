import LoyaltyTesting
import Testing

@testable import Kafka

@Suite struct Murmur2Tests {
    @Test(arguments: [
        ("21", Int32(-973_932_308)),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("abc", 479_470_107),
    ])
    func javaVectors(key: String, expected: Int32) {
        #expect(Murmur2.hash(Array(key.utf8)) == expected)
    }

    @Test(.seeded(20_261_202)) func matchesLibrdkafkaOnRandomKeys() {
        var rng = TestSeed.generator()
        var mismatches = 0
        for _ in 0..<5_000 {
            let key = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for count in [1, 3, 16, 64, Int32.max] as [Int32]
            where Murmur2.partition(key: key, partitionCount: count) != Murmur2.librdkafkaPartition(key: key, partitionCount: count) {
                mismatches += 1
            }
            // With Int32.max partitions librdkafka hands back the positive hash itself.
            let positive = Murmur2.hash(key) & 0x7fff_ffff
            if positive != Int32.max && Murmur2.librdkafkaPartition(key: key, partitionCount: Int32.max) != positive {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }
}
