import Foundation
import LoyaltyTesting
import Testing

@testable import Kafka

/// Round trips on librdkafka's mock cluster. Serialized: two cores, and group timing is
/// sensitive to a starved machine.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct ClusterTests {
    @Test func producedRecordsComeBackWithEqualContentAndContiguousOffsets() throws {
        let (cluster, topic) = try clusterWithTopic("roundtrip", brokers: 3, partitions: 4, replicationFactor: 3)
        defer { cluster.shutdown() }
        let producer = try KafkaProducer(configuration: producerConfig(cluster), logger: testLogger())
        defer { producer.shutdown() }

        let n = 2_000
        let records = (0..<n).map { i in
            ProducerRecord(topic: topic, key: bytes("member-\(i % 97)"), value: bytes("value-\(i)-" + String(repeating: "x", count: i % 13)))
        }
        let metadata = try producer.sendAllBlocking(records, timeoutMilliseconds: 30_000)
        #expect(metadata.count == n)
        // Same key → the partition Java's murmur2 predicts.
        for (record, meta) in zip(records, metadata) {
            #expect(meta.topic == topic)
            #expect(meta.partition == Murmur2.partition(key: record.key!, partitionCount: 4))
        }
        #expect(try producer.partitionCount(topic: topic, timeoutMilliseconds: 5_000) == 4)

        let consumer = try KafkaConsumer(
            configuration: consumerConfig(cluster, group: uniqueName("g"), topics: [topic]), listener: nil, logger: testLogger())
        defer { consumer.close() }
        let got = try consume(consumer, count: n, timeoutSeconds: 30)
        #expect(got.count == n)

        let sent = Dictionary(uniqueKeysWithValues: zip(metadata, records).map { ("\($0.partition)/\($0.offset)", $1) })
        for record in got {
            let original = try #require(sent["\(record.partition)/\(record.offset)"])
            #expect(record.topic == topic)
            #expect(record.key == original.key)
            #expect(record.value == original.value)
            #expect(record.timestampMilliseconds > 0)
        }
        for (partition, group) in Dictionary(grouping: got, by: \.partition) {
            let offsets = group.map(\.offset)
            #expect(offsets == Array(0..<Int64(group.count)), "partition \(partition) offsets not contiguous from 0")
            let (low, high) = try KafkaAdmin.watermarks(
                topic: topic, partition: partition, bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 5_000)
            #expect(low == 0)
            #expect(high == Int64(group.count))
        }
    }

    @Test func asyncSendReturnsTheBrokersOffsets() async throws {
        let (cluster, topic) = try clusterWithTopic("send", partitions: 2)
        defer { cluster.shutdown() }
        let producer = try KafkaProducer(configuration: producerConfig(cluster), logger: testLogger())
        defer { producer.shutdown() }
        let first = try await producer.send(ProducerRecord(topic: topic, partition: 1, key: nil, value: bytes("a")))
        let second = try await producer.send(ProducerRecord(topic: topic, partition: 1, key: nil, value: bytes("b")))
        #expect(first == RecordMetadata(topic: topic, partition: 1, offset: 0))
        #expect(second == RecordMetadata(topic: topic, partition: 1, offset: 1))
    }

    @Test func consumerStartsAtTheOffsetsTheListenerReturns() throws {
        let (cluster, topic) = try clusterWithTopic("start", partitions: 2)
        defer { cluster.shutdown() }
        let producer = try KafkaProducer(configuration: producerConfig(cluster), logger: testLogger())
        defer { producer.shutdown() }
        let records = (0..<20).flatMap { i in
            [Int32(0), 1].map { ProducerRecord(topic: topic, partition: $0, key: nil, value: bytes("r\(i)")) }
        }
        _ = try producer.sendAllBlocking(records, timeoutMilliseconds: 10_000)

        let p0 = TopicPartition(topic: topic, partition: 0)
        let p1 = TopicPartition(topic: topic, partition: 1)
        let listener = RecordingListener(starts: [p0: 5])  // p1 missing → from the beginning
        let consumer = try KafkaConsumer(
            configuration: consumerConfig(cluster, group: uniqueName("g"), topics: [topic]), listener: listener, logger: testLogger())
        defer { consumer.close() }
        let got = try consume(consumer, count: 35, timeoutSeconds: 20)
        #expect(listener.assigned.flatMap { $0 }.sorted { $0.partition < $1.partition } == [p0, p1])
        let fromP0 = got.filter { $0.partition == 0 }.map(\.offset)
        let fromP1 = got.filter { $0.partition == 1 }.map(\.offset)
        #expect(fromP0 == Array(5..<20))
        #expect(fromP1 == Array(0..<20))
        #expect(Set(consumer.assignment) == [p0, p1])

        // Seek rewinds an assigned partition.
        try consumer.seek(p0, offset: 17)
        let again = try consume(consumer, count: 3, timeoutSeconds: 10)
        #expect(again.map(\.offset) == [17, 18, 19])
        consumer.commit([p0: 20, p1: 20])
    }

    @Test func pausedPartitionDeliversNothingUntilResumed() throws {
        let (cluster, topic) = try clusterWithTopic("pause", partitions: 2)
        defer { cluster.shutdown() }
        let consumer = try KafkaConsumer(
            configuration: consumerConfig(cluster, group: uniqueName("g"), topics: [topic]), listener: nil, logger: testLogger())
        defer { consumer.close() }
        let start = Date()
        while consumer.assignment.count < 2 && Date().timeIntervalSince(start) < 20 {
            _ = try consumer.poll(maxRecords: 100, timeoutMilliseconds: 100)
        }
        let p0 = TopicPartition(topic: topic, partition: 0)
        try consumer.pause([p0])

        let producer = try KafkaProducer(configuration: producerConfig(cluster), logger: testLogger())
        defer { producer.shutdown() }
        let records = (0..<10).map { ProducerRecord(topic: topic, partition: Int32($0 % 2), key: nil, value: bytes("\($0)")) }
        _ = try producer.sendAllBlocking(records, timeoutMilliseconds: 10_000)

        var got = try consume(consumer, count: 5, timeoutSeconds: 10)
        got += try consume(consumer, count: 1, timeoutSeconds: 1)  // give p0 a chance to leak
        #expect(got.count == 5)
        #expect(got.allSatisfy { $0.partition == 1 })

        try consumer.resume([p0])
        let resumed = try consume(consumer, count: 5, timeoutSeconds: 10)
        #expect(resumed.map(\.partition) == [0, 0, 0, 0, 0])
        #expect(resumed.map(\.offset) == [0, 1, 2, 3, 4])
    }

    @Test func twoConsumersSplitPartitionsAndTheSurvivorTakesOverOnClose() throws {
        let (cluster, topic) = try clusterWithTopic("split", brokers: 3, partitions: 4)
        defer { cluster.shutdown() }
        let group = uniqueName("g")
        let listenerA = RecordingListener()
        let listenerB = RecordingListener()
        let a = try KafkaConsumer(configuration: consumerConfig(cluster, group: group, topics: [topic]), listener: listenerA, logger: testLogger())
        defer { a.close() }
        let b = try KafkaConsumer(configuration: consumerConfig(cluster, group: group, topics: [topic]), listener: listenerB, logger: testLogger())

        let start = Date()
        var split = false
        while Date().timeIntervalSince(start) < 40 {
            _ = try a.poll(maxRecords: 100, timeoutMilliseconds: 50)
            _ = try b.poll(maxRecords: 100, timeoutMilliseconds: 50)
            let (sa, sb) = (Set(a.assignment), Set(b.assignment))
            if !sa.isEmpty && !sb.isEmpty && sa.isDisjoint(with: sb) && sa.union(sb).count == 4 {
                split = true
                break
            }
        }
        #expect(split, "the group never split 4 partitions between 2 members")
        print("two-member split after \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        let bHad = Set(b.assignment)

        b.close()
        #expect(!listenerB.revoked.isEmpty, "closing B must revoke its partitions through the listener")
        #expect(b.assignment.isEmpty)
        let closedAt = Date()
        var tookOver = false
        while Date().timeIntervalSince(closedAt) < 40 {
            _ = try a.poll(maxRecords: 100, timeoutMilliseconds: 100)
            if a.assignment.count == 4 {
                tookOver = true
                break
            }
        }
        #expect(tookOver, "A never received B's partitions \(bHad)")
        #expect(Set(listenerA.assigned.last ?? []).isSuperset(of: bHad))
        print("survivor took over after \(String(format: "%.1f", Date().timeIntervalSince(closedAt))) s")
    }

    /// rd_kafka_consume_batch_queue must count as polling for max.poll.interval.ms, or a
    /// worker that only uses the batch path would be evicted from its group.
    @Test func batchPollingKeepsTheConsumerInItsGroup() throws {
        let (cluster, topic) = try clusterWithTopic("alive", partitions: 2)
        defer { cluster.shutdown() }
        var config = consumerConfig(cluster, group: uniqueName("g"), topics: [topic])
        config.sessionTimeoutMilliseconds = 3_000
        config.maxPollIntervalMilliseconds = 3_000
        let listener = RecordingListener()
        let consumer = try KafkaConsumer(configuration: config, listener: listener, logger: testLogger())
        defer { consumer.close() }
        let start = Date()
        while consumer.assignment.isEmpty && Date().timeIntervalSince(start) < 20 {
            _ = try consumer.poll(maxRecords: 1_000, timeoutMilliseconds: 100)
        }
        #expect(consumer.assignment.count == 2)
        let assignedAt = Date()
        while Date().timeIntervalSince(assignedAt) < Double(config.maxPollIntervalMilliseconds) / 1000 * 2 {
            _ = try consumer.poll(maxRecords: 1_000, timeoutMilliseconds: 200)
        }
        #expect(listener.revoked.isEmpty, "consumer was evicted although it kept polling")
        #expect(listener.assigned.count == 1)
        #expect(consumer.assignment.count == 2)
    }

    @Test func sendFailsWhileAllBrokersAreDownAndSucceedsWhenTheyReturn() async throws {
        let (cluster, topic) = try clusterWithTopic("down", brokers: 3, partitions: 2, replicationFactor: 3)
        defer { cluster.shutdown() }
        var config = producerConfig(cluster)
        config.messageTimeoutMilliseconds = 2_000
        let producer = try KafkaProducer(configuration: config, logger: testLogger())
        defer { producer.shutdown() }
        _ = try await producer.send(ProducerRecord(topic: topic, key: bytes("k"), value: bytes("before")))

        #expect(cluster.setAllBrokers(up: false))
        var failure: KafkaError?
        do {
            let metadata = try await producer.send(ProducerRecord(topic: topic, key: bytes("k"), value: bytes("during")))
            Issue.record("reported as delivered while all brokers were down: \(metadata)")
        } catch {
            failure = error
        }
        let error = try #require(failure)
        #expect([.timedOut, .brokersDown, .transport, .delivery].contains(error.code), "\(error)")

        // Blocking batch: every record fails, none is reported delivered.
        let batch = (0..<5).map { ProducerRecord(topic: topic, key: bytes("k\($0)"), value: bytes("x")) }
        #expect(throws: KafkaError.self) { try producer.sendAllBlocking(batch, timeoutMilliseconds: 10_000) }

        #expect(cluster.setAllBrokers(up: true))
        let upAt = Date()
        var attempts = 0
        var recovered: RecordMetadata?
        let deadline = Date().addingTimeInterval(180)
        while recovered == nil && Date() < deadline {
            do {
                attempts += 1
                recovered = try await producer.send(ProducerRecord(topic: topic, key: bytes("k"), value: bytes("after")))
            } catch {
                print("send after brokers up failed: \(error)")
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let after = try #require(recovered, "sends never succeeded again after the brokers came back")
        print("recovered \(String(format: "%.1f", Date().timeIntervalSince(upAt))) s after brokers came up, \(attempts) attempts")
        #expect(after.partition == Murmur2.partition(key: bytes("k"), partitionCount: 2))
        #expect(after.offset >= 1)
    }

    @Test func sendAllBlockingRidesOutAFullQueueAndKeepsInputOrder() throws {
        let (cluster, topic) = try clusterWithTopic("batch", partitions: 2)
        defer { cluster.shutdown() }
        var config = producerConfig(cluster)
        config.queueBufferingMaxMessages = 10
        let producer = try KafkaProducer(configuration: config, logger: testLogger())
        defer { producer.shutdown() }
        let records = (0..<500).map { ProducerRecord(topic: topic, partition: Int32($0 % 2), key: nil, value: bytes("\($0)")) }
        let metadata = try producer.sendAllBlocking(records, timeoutMilliseconds: 30_000)
        #expect(metadata.map(\.partition) == records.map { $0.partition! })
        #expect(metadata.filter { $0.partition == 0 }.map(\.offset) == Array(0..<250))
        #expect(metadata.filter { $0.partition == 1 }.map(\.offset) == Array(0..<250))
    }

    @Test func shutdownFailsPendingSendsInsteadOfLeavingThemHanging() async throws {
        let (cluster, topic) = try clusterWithTopic("pending", partitions: 1)
        defer { cluster.shutdown() }
        #expect(cluster.setAllBrokers(up: false))
        let producer = try KafkaProducer(configuration: producerConfig(cluster), logger: testLogger())
        let pending = Task { () throws(KafkaError) -> RecordMetadata in
            try await producer.send(ProducerRecord(topic: topic, key: nil, value: bytes("stuck")))
        }
        try await Task.sleep(for: .milliseconds(200))
        let started = Date()
        producer.shutdown(flushTimeoutMilliseconds: 300)
        let result = await pending.result
        #expect(Date().timeIntervalSince(started) < 5)
        guard case .failure(let error) = result else {
            Issue.record("a record was reported delivered with all brokers down")
            return
        }
        #expect((error as? KafkaError)?.code == .closed, "\(error)")
        // After shutdown, produce refuses clearly.
        let refused = #expect(throws: KafkaError.self) {
            try producer.produce(ProducerRecord(topic: topic, key: nil, value: [])) { _ in }
        }
        #expect(refused?.code == .closed)
    }

    @Test func fullQueueSurfacesQueueFull() throws {
        let (cluster, topic) = try clusterWithTopic("full", partitions: 1)
        defer { cluster.shutdown() }
        #expect(cluster.setAllBrokers(up: false))
        var config = producerConfig(cluster)
        config.queueBufferingMaxMessages = 3
        config.messageTimeoutMilliseconds = 1_000
        let producer = try KafkaProducer(configuration: config, logger: testLogger())
        defer { producer.shutdown() }

        let failures = Counter()
        var accepted = 0
        var queueFull: KafkaError?
        for i in 0..<10 {
            do {
                try producer.produce(ProducerRecord(topic: topic, key: nil, value: bytes("\(i)"))) { result in
                    if case .failure = result { failures.increment() }
                }
                accepted += 1
            } catch {
                queueFull = error
                break
            }
        }
        #expect(accepted == 3)
        #expect(queueFull?.code == .queueFull)
        #expect(queueFull?.message.contains(topic) == true)
        // The accepted ones are not dropped silently: each gets a failure callback.
        #expect(throws: Never.self) { try producer.flush(timeoutMilliseconds: 10_000) }
        #expect(failures.value == 3)
    }

    @Test func topicCreationIsIdempotentAndRejectsAPartitionMismatch() throws {
        let cluster = try MockCluster(brokers: 3, logger: testLogger())
        defer { cluster.shutdown() }
        let name = uniqueName("admin")
        let spec = KafkaAdmin.TopicSpec(name: name, partitions: 6, replicationFactor: 3, configs: [:])
        try cluster.createTopics([spec])
        #expect(
            try KafkaAdmin.partitionCount(topic: name, bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 5_000) == 6)
        #expect(try KafkaAdmin.existingTopics(bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 5_000).contains(name))
        // Again with the same partition count, from the host and from any other client: fine.
        try cluster.createTopics([spec])
        try KafkaAdmin.createTopics([spec], bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 5_000)
        // A different partition count: an error naming the topic.
        var other = spec
        other.partitions = 8
        let error = #expect(throws: KafkaError.self) {
            try KafkaAdmin.createTopics([other], bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 5_000)
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains(name) == true)
        // A topic nobody created: KafkaAdmin cannot create it on the mock and says so.
        let missing = #expect(throws: KafkaError.self) {
            try KafkaAdmin.createTopics(
                [KafkaAdmin.TopicSpec(name: name + "-missing", partitions: 1, replicationFactor: 1)],
                bootstrapServers: cluster.bootstrapServers, timeoutMilliseconds: 5_000)
        }
        #expect(missing?.message.contains(name + "-missing") == true)
    }

    @Test func bootstrapFileIsWrittenAtomically() throws {
        let cluster = try MockCluster(brokers: 2, logger: testLogger())
        defer { cluster.shutdown() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("boot"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bootstrap").path
        try cluster.writeBootstrap(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == cluster.bootstrapServers)
        #expect(cluster.bootstrapServers.split(separator: ",").count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bootstrap"])
    }

    @Test func injectedProduceErrorsAreRetriedByTheIdempotentProducer() async throws {
        let (cluster, topic) = try clusterWithTopic("inject", partitions: 1)
        defer { cluster.shutdown() }
        let producer = try KafkaProducer(configuration: producerConfig(cluster), logger: testLogger())
        defer { producer.shutdown() }
        _ = try await producer.send(ProducerRecord(topic: topic, partition: 0, key: nil, value: bytes("warm")))
        // NOT_LEADER_FOR_PARTITION (6) twice on Produce (api key 0): retriable.
        cluster.pushRequestErrors(apiKey: 0, errors: [6, 6])
        let meta = try await producer.send(ProducerRecord(topic: topic, partition: 0, key: nil, value: bytes("retried")))
        #expect(meta.offset == 1)
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
