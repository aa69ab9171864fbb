import CRdKafka
import Foundation
import Logging
import Synchronization

/// Owns one `rd_kafka_t`. The owning Kafka object decides when to destroy it, after it has
/// destroyed every message, partition list, queue and event that belongs to the handle.
final class RDKafkaHandle: @unchecked Sendable {
    // @unchecked Sendable: librdkafka documents rd_kafka_t as thread-safe for every call
    // we make from several threads (produceva, poll, metadata, outq_len); `destroy` is
    // called exactly once, by the owner, after its poll thread has been joined.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    func destroy() { rd_kafka_destroy(pointer) }
}

/// Per-handle state the C callbacks reach through `rd_kafka_opaque`. The owner keeps it
/// alive for longer than the handle, so callbacks use it unretained.
class ClientContext: @unchecked Sendable {
    // @unchecked Sendable: `logger` is immutable and Sendable; subclasses document their
    // own mutable state.
    let logger: Logger
    init(logger: Logger) { self.logger = logger }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> ClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

enum ClientKind {
    case producer, consumer

    var rdType: rd_kafka_type_t { self == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER }
}

/// Settings whose values must not appear in error messages or logs.
private func redacted(_ key: String, _ value: String) -> String {
    let k = key.lowercased()
    return (k.contains("password") || k.contains("secret") || k.contains("key.pem")) ? "***" : value
}

/// Creates a configured `rd_kafka_t`: applies `settings` in order (later ones win),
/// installs the log and error callbacks (logs are queued, `log.queue=true`, and forwarded
/// to swift-log by whoever polls the main queue), lets `configure` add callbacks, and
/// routes the log queue to the main queue.
func makeRDKafkaHandle(
    kind: ClientKind,
    settings: [(String, String)],
    context: ClientContext,
    configure: (OpaquePointer) -> Void = { _ in }
) throws(KafkaError) -> RDKafkaHandle {
    guard let conf = rd_kafka_conf_new() else {
        throw KafkaError(code: .other, message: "rd_kafka_conf_new failed (out of memory?)")
    }
    var errstr = [CChar](repeating: 0, count: 512)
    for (key, value) in settings + [("log.queue", "true")] {
        if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            let reason = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(
                code: .configuration,
                message: "librdkafka rejected setting \(key)=\(redacted(key, value)): \(reason)"
            )
        }
    }
    rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
    rd_kafka_conf_set_log_cb(conf) { rk, level, fac, buf in
        guard let rk, let ctx = ClientContext.from(rd_kafka_opaque(rk)) else { return }
        let facility = fac.map { String(cString: $0) } ?? "?"
        let text = buf.map { String(cString: $0) } ?? ""
        // Every client asks brokers not to auto-create topics; librdkafka's mock cluster
        // (the embedded default) cannot say so and each client then warned once per broker
        // connection, flooding `loyalty dev`. Nothing depends on it: the nodes check that
        // their topics exist with the right partition counts before they start.
        let quiet = facility == "AUTOCREATE"
        ctx.logger.log(level: quiet ? .debug : logLevel(syslog: level), "librdkafka \(facility): \(text)")
    }
    rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
        guard let ctx = ClientContext.from(opaque) else { return }
        let text = reason.map { String(cString: $0) } ?? ""
        let code = rd_kafka_resp_err_t(rawValue: err)
        // Connection failures were already logged (FAIL) through the log queue.
        if code == RD_KAFKA_RESP_ERR__TRANSPORT { return }
        let level: Logger.Level = code == RD_KAFKA_RESP_ERR__FATAL ? .critical : .warning
        ctx.logger.log(
            level: level, "librdkafka error \(RD.errorName(err)): \(text)",
            metadata: ["rdkafka.code": "\(err)"])
    }
    configure(conf)
    guard let rk = rd_kafka_new(kind.rdType, conf, &errstr, errstr.count) else {
        rd_kafka_conf_destroy(conf)
        let reason = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw KafkaError(code: .configuration, message: "could not create Kafka \(kind) client: \(reason)")
    }
    // conf is owned by rk from here on.
    let main = rd_kafka_queue_get_main(rk)
    _ = rd_kafka_set_log_queue(rk, main)
    if let main { rd_kafka_queue_destroy(main) }
    return RDKafkaHandle(rk)
}

func logLevel(syslog level: Int32) -> Logger.Level {
    switch level {
    case ...2: return .critical
    case 3: return .error
    case 4: return .warning
    case 5: return .notice
    case 6: return .info
    default: return .debug
    }
}

/// A dedicated OS thread that runs `body` until stopped; blocking librdkafka calls live
/// here, never on Swift's cooperative pool.
final class PollThread: Sendable {
    private final class Flags: Sendable {
        let stop = Atomic<Bool>(false)
        let threadID = Atomic<UInt>(0)
        let finished = DispatchSemaphore(value: 0)
    }
    private let flags = Flags()

    init(name: String, body: @escaping @Sendable () -> Void) {
        let flags = self.flags
        let thread = Thread {
            flags.threadID.store(UInt(pthread_self()), ordering: .releasing)
            while !flags.stop.load(ordering: .acquiring) { body() }
            flags.finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// true when called on this poll thread (e.g. from a delivery callback).
    var isCurrentThread: Bool { flags.threadID.load(ordering: .acquiring) == UInt(pthread_self()) }

    var isStopped: Bool { flags.stop.load(ordering: .acquiring) }

    /// Asks the thread to stop and waits for it (the body must return within its poll timeout).
    func stopAndJoin() {
        let (exchanged, _) = flags.stop.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
        if exchanged { flags.finished.wait() }
    }
}

/// A `[TopicPartition]` ↔ `rd_kafka_topic_partition_list_t` bridge. The list is destroyed by
/// `withPartitionList` before it returns.
func withPartitionList<R>(
    _ partitions: [(TopicPartition, Int64?)], _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> R
) -> R {
    let list = rd_kafka_topic_partition_list_new(Int32(max(partitions.count, 1)))!
    defer { rd_kafka_topic_partition_list_destroy(list) }
    for (tp, offset) in partitions {
        let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
        if let offset { element.pointee.offset = offset }
    }
    return body(list)
}

func partitions(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [rd_kafka_topic_partition_t] {
    let count = Int(list.pointee.cnt)
    guard count > 0, let elems = list.pointee.elems else { return [] }
    return (0..<count).map { elems[$0] }
}

func monotonicMilliseconds() -> Int64 {
    Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
}
