import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the partner HTTP gateway: signed transactions in, Kafka-acknowledged answers out.",
        discussion: """
            Endpoints (docs/gateway-api.md, docs/openapi.yaml): POST /v1/transactions \
            (JSON or protobuf; ?wait=true waits for the worker's result), POST \
            /v1/transactions/batch (NDJSON or length-delimited protobuf, streamed), GET \
            /v1/members/{id}/balance (answered through the log), GET /health, /ready, /metrics.

            Requests are signed with HMAC-SHA256 keys from --secrets (never logged). A 2xx \
            answer means Kafka acknowledged the record (acks=all); overload is 429 and an \
            unreachable Kafka 503, both with Retry-After. Every limit (quotas, connections, \
            timeouts, sizes) and its refusal: docs/gateway-api.md, "Limits". SIGTERM/SIGINT: stop accepting, \
            finish requests in flight, flush the producer, exit 0.
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var programme: ProgrammeOption
    @Option(help: "Partner keys: JSON {partner: [{key_id, secret}]} (see config/gateway-secrets.sample.json).")
    var secrets: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(help: "Largest single-transaction body in bytes (larger: 413).") var maxBodyBytes = 1 << 20
    @Option(help: "Largest batch body in bytes.") var maxBatchBytes = 1 << 30
    @Option(help: "Kafka delivery timeout in ms: a record not acknowledged by then is answered 503.")
    var deliveryTimeoutMs = 10_000
    @Option(help: "Producer linger in ms for single transactions and balance inquiries (someone waits for each).")
    var lingerMs = 0
    @Option(help: "Producer linger in ms for batch records (fuller requests, less work per record).")
    var batchLingerMs = 5
    @Option(help: "fetch.wait.max.ms of the results listener: longest a broker may hold an empty fetch.")
    var resultsFetchWaitMs = 5
    @Option(help: "Per-partner quota: signed requests per second (over it: 429 with Retry-After; 0: unlimited).")
    var requestsPerSecond = 1_000.0
    @Option(help: "Per-partner quota: requests that may come at once after a quiet spell.")
    var requestsBurst = 2_000.0
    @Option(help: "Per-partner quota: transactions per second (single ones over it: 429; batches are paced; 0: unlimited).")
    var transactionsPerSecond = 100_000.0
    @Option(help: "Per-partner quota: transactions that may come at once after a quiet spell.")
    var transactionsBurst = 200_000.0
    @Option(help: "Signatures remembered per partner against replays (full: that partner gets 429).")
    var replayCachePerPartner = 1_000_000
    @Option(help: "Open connections in all (over it: 503 and closed).") var maxConnections = 1_024
    @Option(help: "Open connections per client address (over it: 503 and closed).") var maxConnectionsPerClient = 64
    @Option(help: "A connection without a complete request head for this long (idle, slow headers) gets 408 and is closed.")
    var requestHeadTimeoutMs = 30_000
    @Option(help: "No body bytes for this long while the gateway waits for them: 408 and closed.")
    var bodyReadTimeoutMs = 10_000
    @Option(help: "Bodies slower than this (bytes per second of waiting, after --body-read-timeout-ms) are cut off.")
    var minBodyBytesPerSecond = 1_024
    @Option(help: "An answer the client does not read for this long (while it sends nothing) closes the connection.")
    var writeStallTimeoutMs = 30_000
    @Option(help: "Batch status lines held for a client that sends its whole body before reading (past it the batch stops, and says so).")
    var maxBatchUnwrittenLines = 200_000
    @OptionGroup var log: LogOptions

    func validate() throws {
        let positive: [(String, Int)] = [
            ("--max-body-bytes", maxBodyBytes), ("--max-batch-bytes", maxBatchBytes), ("--replay-cache-per-partner", replayCachePerPartner),
            ("--max-connections", maxConnections), ("--max-connections-per-client", maxConnectionsPerClient),
            ("--request-head-timeout-ms", requestHeadTimeoutMs), ("--body-read-timeout-ms", bodyReadTimeoutMs),
            ("--write-stall-timeout-ms", writeStallTimeoutMs), ("--max-batch-unwritten-lines", maxBatchUnwrittenLines),
        ]
        for (name, value) in positive where value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        guard minBodyBytesPerSecond >= 0 else { throw ValidationError("--min-body-bytes-per-second must be 0 or more, got \(minBodyBytesPerSecond)") }
        for (name, value) in [
            ("--requests-per-second", requestsPerSecond), ("--requests-burst", requestsBurst), ("--transactions-per-second", transactionsPerSecond),
            ("--transactions-burst", transactionsBurst),
        ] where !(value >= 0 && value.isFinite) {
            throw ValidationError("\(name) must be a number 0 or more, got \(value)")
        }
    }

    func run() async throws {
        let logger = try log.bootstrap(label: "loyalty.gateway")
        let programme = try programme.load()
        var configuration = GatewayConfiguration(bootstrapServers: try kafka.resolvedBootstrapServers())
        configuration.host = host
        configuration.port = port
        configuration.maxBodyBytes = maxBodyBytes
        configuration.maxBatchBytes = maxBatchBytes
        configuration.deliveryTimeoutMilliseconds = deliveryTimeoutMs
        configuration.lingerMilliseconds = lingerMs
        configuration.batchLingerMilliseconds = batchLingerMs
        configuration.resultsFetchWaitMilliseconds = resultsFetchWaitMs
        configuration.requestsPerSecond = requestsPerSecond
        configuration.requestsBurst = requestsBurst
        configuration.transactionsPerSecond = transactionsPerSecond
        configuration.transactionsBurst = transactionsBurst
        configuration.replayCacheCapacityPerPartner = replayCachePerPartner
        configuration.maxConnections = maxConnections
        configuration.maxConnectionsPerClient = maxConnectionsPerClient
        configuration.requestHeadTimeoutMilliseconds = requestHeadTimeoutMs
        configuration.bodyReadTimeoutMilliseconds = bodyReadTimeoutMs
        configuration.minBodyBytesPerSecond = minBodyBytesPerSecond
        configuration.writeStallTimeoutMilliseconds = writeStallTimeoutMs
        configuration.maxBatchUnwrittenLines = maxBatchUnwrittenLines
        configuration.kafkaExtra = try kafka.extra()
        try TopicCheck.requireTransactionsTopic(
            bootstrapServers: configuration.bootstrapServers, extra: configuration.kafkaExtra, logger: logger)
        let credentials = try PartnerCredentials.load(path: secrets)
        logger.info("loaded partner keys", metadata: ["keys": "\(credentials)"])
        let gateway = try Gateway(configuration: configuration, programme: programme, credentials: credentials, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: gateway.services.map {
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
