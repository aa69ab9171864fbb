import CRdKafka

/// Every failure of the Kafka module. `message` is meant for an operator: it names the
/// setting, topic or partition involved.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case configuration, queueFull, timedOut, delivery, transport, unknownTopicOrPartition
        case brokersDown, closed, state, other
    }

    public let code: Code
    public let message: String
    /// The `rd_kafka_resp_err_t` behind the error, where there is one.
    public let rdkafkaCode: Int32?

    public init(code: Code, message: String, rdkafkaCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.rdkafkaCode = rdkafkaCode
    }

    public var description: String {
        if let rdkafkaCode {
            return "KafkaError.\(code): \(message) [\(RD.errorName(rdkafkaCode)) (\(rdkafkaCode))]"
        }
        return "KafkaError.\(code): \(message)"
    }

    /// True when librdkafka refused a record for its own content, which no retry can cure
    /// (rdkafka.h; its rd_kafka_handle_Produce_error treats these as permanent): the record
    /// is over message.max.bytes (the producer's, at enqueue, or the topic's, from the
    /// broker), or the broker finds it invalid or corrupt. Everything else (no broker,
    /// timeouts, leader changes, authorization, an unknown topic) concerns every record
    /// alike and is worth retrying.
    public var isPermanent: Bool { permanentName != nil }

    /// The short name of a permanent error ("MSG_SIZE_TOO_LARGE"), for text that tells a
    /// partner why a record was replaced; nil for any other error.
    public var permanentName: String? { rdkafkaCode.flatMap { Self.permanentCodes[$0] } }

    /// The `rd_kafka_resp_err_t` values that refuse a record by its content.
    static let permanentCodes: [Int32: String] = [
        RD_KAFKA_RESP_ERR_INVALID_MSG.rawValue: "INVALID_MSG",  // also CORRUPT_MESSAGE
        RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE.rawValue: "INVALID_MSG_SIZE",
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue: "MSG_SIZE_TOO_LARGE",  // producer or broker
        RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE.rawValue: "RECORD_LIST_TOO_LARGE",
        RD_KAFKA_RESP_ERR_INVALID_RECORD.rawValue: "INVALID_RECORD",
        RD_KAFKA_RESP_ERR__BAD_MSG.rawValue: "_BAD_MSG",  // local
    ]

    /// Maps a librdkafka error code to a `KafkaError`, with `context` naming what was attempted.
    static func rd(_ err: rd_kafka_resp_err_t, _ context: String, fallback: Code = .other) -> KafkaError {
        rd(err.rawValue, context, fallback: fallback)
    }

    static func rd(_ raw: Int32, _ context: String, fallback: Code = .other) -> KafkaError {
        KafkaError(
            code: RD.classify(raw, fallback: fallback),
            message: "\(context): \(RD.errorString(raw))",
            rdkafkaCode: raw
        )
    }
}

/// Small helpers around librdkafka constants that Swift cannot import (macros with casts).
enum RD {
    static let partitionUnassigned: Int32 = -1  // RD_KAFKA_PARTITION_UA
    static let offsetBeginning: Int64 = -2  // RD_KAFKA_OFFSET_BEGINNING
    static let offsetEnd: Int64 = -1  // RD_KAFKA_OFFSET_END
    static let offsetInvalid: Int64 = -1001  // RD_KAFKA_OFFSET_INVALID

    static func errorString(_ raw: Int32) -> String {
        String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: raw)))
    }

    static func errorName(_ raw: Int32) -> String {
        String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: raw)))
    }

    static func classify(_ raw: Int32, fallback: KafkaError.Code) -> KafkaError.Code {
        switch rd_kafka_resp_err_t(rawValue: raw) {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return .queueFull
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
            return .timedOut
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR__SSL,
            RD_KAFKA_RESP_ERR__AUTHENTICATION:
            return .transport
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            return .unknownTopicOrPartition
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
            return .brokersDown
        case RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
            RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            return .closed
        case RD_KAFKA_RESP_ERR__STATE, RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__FENCED:
            return .state
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED,
            RD_KAFKA_RESP_ERR__UNKNOWN_GROUP:
            return .configuration
        default:
            return fallback
        }
    }
}
