import Kafka

/// Kafka refused one record for good (`KafkaError.isPermanent`: the record's own content,
/// which no retry can cure): the round's slot it was enqueued in, and why. Any other
/// error concerns every record alike and is retried with the whole round.
struct RecordRefusal: Sendable {
    /// Index of the shard's share in the round, and of the record in that share.
    var shard: Int
    var index: Int
    var error: KafkaError

    /// A short name of the error for a replacement's text ("MSG_SIZE_TOO_LARGE").
    static func name(_ error: KafkaError) -> String {
        error.permanentName ?? "\(error.code)"
    }
}
