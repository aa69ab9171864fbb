import Kafka

/// Kafka refused one record for good: the round's slot it was enqueued in, and why.
///
/// Which errors count: those librdkafka reports for a record's own content, which no retry
/// can cure (rdkafka.h; librdkafka's rd_kafka_handle_Produce_error treats them as
/// permanent): the record is over message.max.bytes (the producer's, at enqueue, or the
/// topic's, from the broker), the broker finds it invalid or corrupt. Everything else (no
/// broker, timeouts, leader changes, authorization, an unknown topic) concerns every
/// record alike and is retried with the whole round.
struct RecordRefusal: Sendable {
    /// Index of the shard's share in the round, and of the record in that share.
    var shard: Int
    var index: Int
    var error: KafkaError

    /// The `rd_kafka_resp_err_t` values that refuse a record by its content.
    static let permanentCodes: [Int32: String] = [
        2: "INVALID_MSG",  // RD_KAFKA_RESP_ERR_INVALID_MSG (CORRUPT_MESSAGE)
        4: "INVALID_MSG_SIZE",  // RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE
        10: "MSG_SIZE_TOO_LARGE",  // RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE (producer or broker)
        18: "RECORD_LIST_TOO_LARGE",  // RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE
        87: "INVALID_RECORD",  // RD_KAFKA_RESP_ERR_INVALID_RECORD
        -199: "_BAD_MSG",  // RD_KAFKA_RESP_ERR__BAD_MSG (local)
    ]

    static func isPermanent(_ error: KafkaError) -> Bool {
        guard let code = error.rdkafkaCode else { return false }
        return permanentCodes[code] != nil
    }

    /// A short name of the error for a replacement's text ("MSG_SIZE_TOO_LARGE").
    static func name(_ error: KafkaError) -> String {
        error.rdkafkaCode.flatMap { permanentCodes[$0] } ?? "\(error.code)"
    }
}
