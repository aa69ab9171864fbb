import LoyaltyWire
import Worker

/// Settings of one gateway instance. Limits are named with their units.
public struct GatewayConfiguration: Sendable {
    public var bootstrapServers: String
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests, bench); `Gateway.boundPort` tells which.
    public var port = 8080
    public var topics = Topics()
    /// Largest body of a single-transaction request; larger → 413.
    public var maxBodyBytes = 1 << 20
    /// Largest record (NDJSON line or delimited message) in a batch.
    public var maxBatchRecordBytes = 64 << 10
    /// Largest batch body; the stream is cut there and the summary says so.
    public var maxBatchBytes = 1 << 30
    /// Batch records published but not yet acknowledged-and-answered, per request.
    public var maxBatchInFlight = 20_000
    /// How long a batch record waits for room in a full producer queue before it is answered `overloaded`.
    public var queueFullWaitMilliseconds = 5_000
    /// Accepted clock skew of X-Loyalty-Timestamp, both ways.
    public var signatureWindowMilliseconds: Int64 = 5 * 60 * 1000
    /// Signatures remembered for replay detection; when full of unexpired entries, requests get 503.
    public var replayCacheCapacity = 2_000_000
    public var defaultWaitMilliseconds = 5_000
    public var maxWaitMilliseconds = 30_000
    /// Producer `message.timeout.ms`: a request whose record is not acknowledged within it gets 503.
    public var deliveryTimeoutMilliseconds = 10_000
    /// Producer `linger.ms` of single transactions and balance inquiries: someone waits for
    /// each answer, and lingering only adds to it.
    public var lingerMilliseconds = 0
    /// Producer `linger.ms` of batch records: they come by the thousand, and fuller produce
    /// requests cost the gateway and the brokers less per record.
    public var batchLingerMilliseconds = 5
    /// `fetch.wait.max.ms` of the results listener: how long a broker may hold a fetch that
    /// finds nothing new. Kafka answers as soon as a result arrives, so this only bounds
    /// empty polls; librdkafka's mock cluster always waits it out (see docs/operations.md).
    public var resultsFetchWaitMilliseconds = 5
    public var producerQueueMessages = 200_000
    /// Retry-After (seconds) of 429 and 503 answers.
    public var retryAfterSeconds = 1
    /// Extra librdkafka settings for the producer and the results listener.
    public var kafkaExtra: [String: String] = [:]

    public init(bootstrapServers: String) { self.bootstrapServers = bootstrapServers }
}
