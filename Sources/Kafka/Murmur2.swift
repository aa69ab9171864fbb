import CRdKafka

/// Java-compatible murmur2, as Kafka's default partitioner and librdkafka's `murmur2` /
/// `murmur2_random` partitioners use it: partition = toPositive(murmur2(key)) % count.
public enum Murmur2 {
    public static func hash(_ key: [UInt8]) -> Int32 {
        let m: UInt32 = 0x5bd1_e995
        let length = key.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        key.withUnsafeBufferPointer { data in
            for i in 0..<blocks {
                let o = i * 4
                var k = UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24
                k = k &* m
                k ^= k >> 24
                k = k &* m
                h = h &* m
                h ^= k
            }
            let tail = blocks * 4
            switch length & 3 {
            case 3:
                h ^= UInt32(data[tail + 2]) << 16
                h ^= UInt32(data[tail + 1]) << 8
                h ^= UInt32(data[tail])
                h = h &* m
            case 2:
                h ^= UInt32(data[tail + 1]) << 8
                h ^= UInt32(data[tail])
                h = h &* m
            case 1:
                h ^= UInt32(data[tail])
                h = h &* m
            default:
                break
            }
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    public static func partition(key: [UInt8], partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "partitionCount must be positive")
        return (hash(key) & 0x7fff_ffff) % partitionCount
    }
}

extension Murmur2 {
    /// librdkafka's own murmur2 partitioner, for cross-checking in tests. Its topic and
    /// opaque arguments are unused by the murmur2 (non-random) partitioner.
    static func librdkafkaPartition(key: [UInt8], partitionCount: Int32) -> Int32 {
        key.withUnsafeBytes { rd_kafka_msg_partitioner_murmur2(nil, $0.baseAddress, $0.count, partitionCount, nil, nil) }
    }
}
