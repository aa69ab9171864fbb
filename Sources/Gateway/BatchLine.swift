import NIOCore
import Programme

/// One record's status line in a batch answer (see docs/gateway-api.md, "Batch answers").
enum BatchLine: Sendable {
    /// Published; waiting for Kafka's delivery report.
    case pending(partnerTxnId: String, traceId: String)
    case accepted(partnerTxnId: String, traceId: String, partition: Int32, offset: Int64)
    /// Not published: `invalid` or `forbidden`, with the field at fault.
    case refused(status: String, field: String, reason: String)
    /// Not acknowledged by Kafka: `failed` or `overloaded`; the partner should resend it.
    case failed(status: String, reason: String)

    var isComplete: Bool {
        if case .pending = self { return false }
        return true
    }

    /// Appends the line's JSON (and a newline) for line number `number`.
    func write(number: Int, into out: inout ByteBuffer) {
        switch self {
        case .pending:
            preconditionFailure("a pending batch line is never written")
        case .accepted(let partnerTxnId, let traceId, let partition, let offset):
            out.writeStaticString("{\"line\":")
            out.writeString(String(number))
            out.writeStaticString(",\"status\":\"accepted\",\"partner_txn_id\":")
            out.writeJSONQuoted(partnerTxnId)
            out.writeStaticString(",\"trace_id\":")
            out.writeJSONQuoted(traceId)
            out.writeStaticString(",\"partition\":")
            out.writeString(String(partition))
            out.writeStaticString(",\"offset\":")
            out.writeString(String(offset))
            out.writeStaticString("}\n")
        case .refused(let status, let field, let reason):
            out.writeString(Self.error(number, status, field: field, reason: reason))
            out.writeInteger(UInt8(ascii: "\n"))
        case .failed(let status, let reason):
            out.writeString(Self.error(number, status, field: "kafka", reason: reason, retry: true))
            out.writeInteger(UInt8(ascii: "\n"))
        }
    }

    static func error(_ number: Int, _ status: String, field: String, reason: String, retry: Bool = false) -> String {
        "{\"line\":\(number),\"status\":\"\(status)\"\(retry ? ",\"retry\":true" : ""),\"error\":{\"field\":\(JSONText.quoted(field)),\"reason\":\(JSONText.quoted(reason))}}"
    }
}

extension ByteBuffer {
    /// Writes `value` as a JSON string literal, byte for byte what `JSONText.quoted(value)` gives.
    mutating func writeJSONQuoted(_ value: String) {
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
            writeString(JSONText.quoted(value))
            return
        }
        writeInteger(UInt8(ascii: "\""))
        writeString(value)
        writeInteger(UInt8(ascii: "\""))
    }
}
