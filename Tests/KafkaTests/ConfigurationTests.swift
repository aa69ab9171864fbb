import Testing

@testable import Kafka

/// What the typed configurations hand to librdkafka, and what `extra` may and may not change.
@Suite(.timeLimit(.minutes(10)))
struct ConfigurationTests {
    private func value(_ settings: [(String, String)], _ key: String) -> String? {
        // librdkafka applies settings in order: the last one wins.
        settings.last { $0.0 == key }?.1
    }

    @Test func consumerFetchWaitIsLibrdkafkasUnlessSetAndExtraStillWins() {
        var configuration = ConsumerConfiguration(bootstrapServers: "b:9092", groupId: "g", topics: ["t"])
        #expect(value(configuration.librdkafkaSettings, "fetch.wait.max.ms") == nil)
        configuration.fetchWaitMilliseconds = 3
        #expect(value(configuration.librdkafkaSettings, "fetch.wait.max.ms") == "3")
        configuration.extra = ["fetch.wait.max.ms": "40", "enable.auto.offset.store": "true"]
        #expect(value(configuration.librdkafkaSettings, "fetch.wait.max.ms") == "40")
        // Offsets are ours: extra cannot turn librdkafka's offset store back on.
        #expect(value(configuration.librdkafkaSettings, "enable.auto.offset.store") == "false")
    }

    @Test func producerGuaranteesSurviveExtra() {
        var configuration = ProducerConfiguration(bootstrapServers: "b:9092")
        configuration.lingerMilliseconds = 0
        configuration.extra = ["acks": "1", "enable.idempotence": "false", "partitioner": "consistent"]
        let settings = configuration.librdkafkaSettings
        #expect(value(settings, "linger.ms") == "0")
        #expect(value(settings, "acks") == "all")
        #expect(value(settings, "enable.idempotence") == "true")
        #expect(value(settings, "partitioner") == "murmur2_random")
    }
}
