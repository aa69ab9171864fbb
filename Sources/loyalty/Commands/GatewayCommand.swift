import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceLifecycle

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
            unreachable Kafka 503, both with Retry-After. SIGTERM/SIGINT: stop accepting, \
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
    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = try log.bootstrap(label: "loyalty.gateway")
        var configuration = GatewayConfiguration(bootstrapServers: try kafka.resolvedBootstrapServers())
        configuration.host = host
        configuration.port = port
        configuration.maxBodyBytes = maxBodyBytes
        configuration.maxBatchBytes = maxBatchBytes
        configuration.deliveryTimeoutMilliseconds = deliveryTimeoutMs
        configuration.lingerMilliseconds = lingerMs
        configuration.batchLingerMilliseconds = batchLingerMs
        configuration.resultsFetchWaitMilliseconds = resultsFetchWaitMs
        configuration.kafkaExtra = try kafka.extra()
        let credentials = try PartnerCredentials.load(path: secrets)
        logger.info("loaded partner keys", metadata: ["keys": "\(credentials)"])
        let gateway = try Gateway(configuration: configuration, programme: try programme.load(), credentials: credentials, logger: logger)
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
