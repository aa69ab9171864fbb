import CRdKafka

/// The Kafka record headers the clearing house uses. One today: `trace-id`, the trace id
/// the gateway gives a transaction (from the partner's W3C `traceparent`, or its own), on
/// the transaction record and on its result record. The envelope carries the same id in
/// its body, which stays the truth; the header lets tools that do not decode protobuf
/// (kcat, a tracing exporter) follow a transaction.
public enum RecordHeaders {
    public static let traceId = "trace-id"
    /// NUL-terminated, at a fixed address: librdkafka copies the name on produce.
    static let traceIdName: StaticString = "trace-id"

    /// The `trace-id` header of a consumed message, nil when it has none. A message
    /// without headers costs one call that answers NOENT: nothing is parsed.
    static func traceId(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> String? {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
        var value: UnsafeRawPointer?
        var size = 0
        guard rd_kafka_header_get_last(headers, traceId, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let value else {
            return nil
        }
        return String(decoding: UnsafeRawBufferPointer(start: value, count: size), as: UTF8.self)
    }

    /// Runs `body` with the UTF-8 bytes of `traceId` (nil: nil), for `setTraceId`.
    static func withTraceId<R>(_ traceId: String?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        guard var traceId else { return body(nil) }
        return traceId.withUTF8 { body($0) }
    }

    /// Makes `vu` the `trace-id` header with `bytes` (valid during the produce call only:
    /// librdkafka copies headers given as RD_KAFKA_VTYPE_HEADER).
    static func setTraceId(_ vu: inout rd_kafka_vu_t, _ bytes: UnsafeBufferPointer<UInt8>) {
        vu.vtype = RD_KAFKA_VTYPE_HEADER
        vu.u.header.name = UnsafeRawPointer(traceIdName.utf8Start).assumingMemoryBound(to: CChar.self)
        vu.u.header.val = UnsafeRawPointer(bytes.baseAddress)
        vu.u.header.size = bytes.count
    }
}
