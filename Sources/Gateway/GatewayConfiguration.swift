import LoyaltyWire

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
    /// Signatures remembered for replay detection, per partner; when a partner's share is
    /// full of unexpired entries, that partner's requests get 429. The request quota bounds
    /// live entries to requestsPerSecond × 2 × window (600,000 with the defaults).
    public var replayCacheCapacityPerPartner = 1_000_000
    /// Per-partner quota of signed requests (any endpoint): tokens per second and burst.
    /// Over it: 429 with Retry-After. 0: unlimited.
    public var requestsPerSecond = 1_000.0
    public var requestsBurst = 2_000.0
    /// Per-partner quota of transactions (single ones and batch records). A single request
    /// over it gets 429 with Retry-After; batch records wait for tokens (the batch is paced).
    public var transactionsPerSecond = 100_000.0
    public var transactionsBurst = 200_000.0
    /// Open connections, in all and per client address; over either, a new connection is
    /// answered 503 and closed.
    public var maxConnections = 1_024
    public var maxConnectionsPerClient = 64
    /// A connection must deliver a complete request head within this time of opening or of
    /// the end of its previous answer (idle keep-alive, slow or missing headers), else it
    /// is answered 408 and closed.
    public var requestHeadTimeoutMilliseconds = 30_000
    /// While the gateway waits for body bytes, none for this long closes the connection
    /// (408 if no answer started); so does a body slower than `minBodyBytesPerSecond`
    /// (measured over the time the gateway was waiting for it, after this long).
    public var bodyReadTimeoutMilliseconds = 10_000
    public var minBodyBytesPerSecond = 1_024
    /// An answer the client does not read (the socket stays full) for this long closes the connection.
    public var writeStallTimeoutMilliseconds = 30_000
    /// Batch status lines held for a client that is not reading them yet (it sends the whole
    /// body first); past this, the batch stops reading records and its summary says why.
    public var maxBatchUnwrittenLines = 200_000
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
