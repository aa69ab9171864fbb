import HTTPTypes

/// The W3C Trace Context `traceparent` request header (https://www.w3.org/TR/trace-context/):
/// `00-<trace-id: 32 lower-case hex>-<parent-id: 16 hex>-<flags: 2 hex>`. The gateway takes
/// its trace-id as the transaction's trace id, so a partner's distributed trace continues
/// through Kafka, the worker and the result. A header that does not parse is ignored, as
/// the specification asks (a new trace id is made instead): it never refuses a request.
enum TraceParent {
    static let header = HTTPField.Name("traceparent")!
    /// Answer header carrying the transaction's trace id back (every POST /v1/transactions).
    static let answerHeader = HTTPField.Name("trace-id")!

    /// The trace-id of a well-formed `traceparent`, nil otherwise. Versions after 00 may
    /// append fields: only the first four are read. All-zero ids are invalid.
    static func traceId(_ value: String?) -> String? {
        guard let value else { return nil }
        let bytes = Array(value.utf8.prefix(56))
        let dash = UInt8(ascii: "-")
        guard bytes.count >= 55, bytes[2] == dash, bytes[35] == dash, bytes[52] == dash else { return nil }
        let version = bytes[0..<2]
        let traceId = bytes[3..<35]
        let parentId = bytes[36..<52]
        guard [version, traceId, parentId, bytes[53..<55]].allSatisfy({ $0.allSatisfy(isLowerHex) }) else { return nil }
        guard !version.elementsEqual("ff".utf8) else { return nil }
        // Version 00 is exactly 55 characters; a later version may go on after a dash.
        if version.elementsEqual("00".utf8) ? value.utf8.count != 55 : (bytes.count == 56 && bytes[55] != dash) { return nil }
        let zero = UInt8(ascii: "0")
        guard !traceId.allSatisfy({ $0 == zero }), !parentId.allSatisfy({ $0 == zero }) else { return nil }
        return String(decoding: traceId, as: UTF8.self)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
