/// Typed producer configuration, flattened to librdkafka's string map at the edge.
/// `extra` passes any other librdkafka property through (e.g. `security.protocol`, `sasl.*`).
public struct ProducerConfiguration: Sendable {
    public var bootstrapServers: String
    public var clientId: String = "loyalty"
    public var lingerMilliseconds: Int = 5
    public var compression: String = "lz4"
    public var messageTimeoutMilliseconds: Int = 30_000
    public var queueBufferingMaxMessages: Int = 100_000
    public var extra: [String: String] = [:]

    public init(bootstrapServers: String) { self.bootstrapServers = bootstrapServers }

    /// The librdkafka properties, in application order (later entries win). The guarantees
    /// the system relies on (idempotence, acks=all, Java-compatible partitioning) come last
    /// so that `extra` cannot switch them off by accident.
    var librdkafkaSettings: [(String, String)] {
        var settings: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientId),
            ("linger.ms", String(lingerMilliseconds)),
            ("compression.codec", compression),
            ("message.timeout.ms", String(messageTimeoutMilliseconds)),
            ("queue.buffering.max.messages", String(queueBufferingMaxMessages)),
        ]
        settings += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        settings += [
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("partitioner", "murmur2_random"),
            // A missing topic is an error, never one the broker creates on first use with
            // its default partition count (auto.create.topics.enable=true): the partition
            // count decides which shard owns a member.
            ("allow.auto.create.topics", "false"),
        ]
        return settings
    }
}

public struct ConsumerConfiguration: Sendable {
    public var bootstrapServers: String
    public var groupId: String
    public var topics: [String]
    public var clientId: String = "loyalty"
    /// Short by default: on the mock cluster a group with default timeouts can take more
    /// than 50 s to rejoin after a member leaves.
    public var sessionTimeoutMilliseconds: Int = 10_000
    public var maxPollIntervalMilliseconds: Int = 300_000
    /// Where a partition starts when the listener (or no listener) gives no offset for it:
    /// the beginning of the log (default; workers rebuild from it) or its end (a listener
    /// that only wants what is published from now on, e.g. the gateway's results listener).
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// `fetch.wait.max.ms`: how long a broker may hold a fetch that finds nothing; nil
    /// keeps librdkafka's 500 ms. Kafka answers as soon as records arrive, the embedded
    /// mock cluster only when this runs out (docs/operations.md).
    public var fetchWaitMilliseconds: Int?
    /// Whether records carry their `trace-id` header (`ConsumerRecord.traceId`). Off by
    /// default: reading it makes librdkafka parse every record's headers and a String per
    /// record, and no node needs it (the trace id is in the envelope and the result).
    public var readsTraceIds = false
    public var extra: [String: String] = [:]

    public init(bootstrapServers: String, groupId: String, topics: [String]) {
        self.bootstrapServers = bootstrapServers
        self.groupId = groupId
        self.topics = topics
    }

    var librdkafkaSettings: [(String, String)] {
        var settings: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupId),
            ("client.id", clientId),
            ("session.timeout.ms", String(sessionTimeoutMilliseconds)),
            ("heartbeat.interval.ms", String(max(100, sessionTimeoutMilliseconds / 4))),
            ("max.poll.interval.ms", String(maxPollIntervalMilliseconds)),
            // Kafka's committed offsets are only a monitoring hint (ours live in SQLite);
            // we commit explicitly through `commit(_:)`.
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", autoOffsetReset.rawValue),
            ("enable.partition.eof", "false"),
            ("queued.min.messages", "100000"),
        ]
        if let fetchWaitMilliseconds { settings.append(("fetch.wait.max.ms", String(fetchWaitMilliseconds))) }
        settings += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        // Never let librdkafka store offsets on its own: stored offsets are ours.
        settings += [("enable.auto.offset.store", "false"), ("allow.auto.create.topics", "false")]
        return settings
    }
}

/// Start position of a partition that has no offset of our own.
public enum AutoOffsetReset: String, Sendable {
    case earliest
    case latest
}
