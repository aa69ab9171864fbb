import Programme
import SwiftProtobuf

extension ResultEncoder {
    /// The result to publish instead of `result` after Kafka refused it for good (`cause`
    /// names why), and the offset of the record it answers; nil if `result` is not a
    /// TransactionResult.
    ///
    /// It keeps every field a partner acts on (ids, trace id, status, reason code, points,
    /// balance, partition, offset) and withholds its free text; ids are cut to their limits.
    /// Deterministic, so a replayed round publishes the same bytes.
    public static func withheld(_ result: [UInt8], cause: String) -> (value: [UInt8], sourceOffset: Int64)? {
        guard var result = try? Loyalty_V1_TransactionResult(serializedBytes: result) else { return nil }
        // A result without free text is re-sent as it was (it was refused with others
        // of its request, or the topic's limit is below every result).
        if !result.outcome.reasonDetail.isEmpty {
            result.outcome.reasonDetail = "reason_detail withheld: the full result could not be published (\(cause))"
        }
        if result.hasOriginal { result.original.reasonDetail = "" }
        result.partnerID = String(result.partnerID.utf8.prefix(FieldLimits.maxIdBytes)) ?? ""
        result.partnerTxnID = String(result.partnerTxnID.utf8.prefix(FieldLimits.maxIdBytes)) ?? ""
        result.memberID = String(result.memberID.utf8.prefix(FieldLimits.maxIdBytes)) ?? ""
        result.traceID = String(result.traceID.utf8.prefix(FieldLimits.maxTraceIdBytes)) ?? ""
        guard let value = try? result.serializedBytes() as [UInt8] else { return nil }
        return (value, result.offset)
    }
}
