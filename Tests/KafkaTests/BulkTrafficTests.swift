import Foundation
import LoyaltyTesting
import Testing

@testable import Kafka

// Part of the serialized ClusterTests, so no other cluster test competes for the two cores.
extension ClusterTests {
    /// Bulk traffic: producing faster than the queue drains is back-pressure, never loss,
    /// and every record comes back. Rates are measured by `loyalty bench worker`, not here.
    /// Stays under the 2.0.2 mock's per-partition retention (~5 MiB / 100,000 messages).
    @Test func bulkProduceAndConsume() throws {
        let partitions: Int32 = 4
        let (cluster, topic) = try clusterWithTopic("rate", partitions: partitions)
        defer { cluster.shutdown() }
        var config = producerConfig(cluster)
        config.lingerMilliseconds = 20
        config.extra["batch.num.messages"] = "10000"
        let producer = try KafkaProducer(configuration: config, logger: testLogger())
        defer { producer.shutdown() }

        let n = 200_000
        let value = [UInt8](repeating: 0x61, count: 64)
        let failures = Counter()
        var i = 0
        while i < n {
            do throws(KafkaError) {
                try producer.produce(ProducerRecord(topic: topic, key: Array("m\(i)".utf8), value: value)) { result in
                    if case .failure = result { failures.increment() }
                }
                i += 1
            } catch {
                // (A `catch where` here crashes the 6.3.1 compiler: SILGen ownership error.)
                guard error.code == .queueFull else { throw error }
                usleep(1_000)
            }
        }
        try producer.flush(timeoutMilliseconds: 60_000)
        #expect(failures.value == 0)

        let consumer = try KafkaConsumer(
            configuration: consumerConfig(cluster, group: uniqueName("g"), topics: [topic]), listener: nil, logger: testLogger())
        defer { consumer.close() }
        // Wait for the assignment and the first records, then read the rest.
        let first = try consume(consumer, count: 1, timeoutSeconds: 20)
        var got = first.count
        var bytes = first.reduce(0) { $0 + $1.value.count }
        let start = Date()
        while got < n && Date().timeIntervalSince(start) < 60 {
            let batch = try consumer.poll(maxRecords: 10_000, timeoutMilliseconds: 100)
            got += batch.count
            for r in batch { bytes += r.value.count }
        }
        #expect(got == n)
        #expect(bytes == n * value.count)
    }
}
