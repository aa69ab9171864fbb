import Foundation
import Programme
import SwiftProtobuf

/// The bytes of a `loyalty.v1.DeadLetter`: a record of the transactions topic that could not
/// be applied, with the reason. Bounded by construction, far below Kafka's message limit:
/// at most `maxRawValueBytes` of the record and `maxRawKeyBytes` of its key, the reason
/// cut to `FieldLimits.maxDetailBytes` plus a note saying what was left out.
public enum DeadLetterEncoder {
    /// How much of an undecodable record a dead letter carries. The whole record stays in
    /// the transactions topic (kept for ever) at the partition and offset the letter names.
    public static let maxRawValueBytes = 64 * 1024
    public static let maxRawKeyBytes = 1024

    public static func encode(
        sourceTopic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], reason: String
    ) throws -> [UInt8] {
        var reason = FieldLimits.truncated(reason)
        var notes: [String] = []
        if value.count > maxRawValueBytes {
            notes.append("raw_value holds the first \(maxRawValueBytes) of \(value.count) bytes")
        }
        if let key, key.count > maxRawKeyBytes {
            notes.append("raw_key holds the first \(maxRawKeyBytes) of \(key.count) bytes")
        }
        if !notes.isEmpty {
            reason += " (" + notes.joined(separator: "; ") + "; the whole record stays at its offset in \(sourceTopic))"
        }
        let letter = Loyalty_V1_DeadLetter.with {
            $0.sourceTopic = sourceTopic
            $0.partition = partition
            $0.offset = offset
            $0.reason = reason
            $0.rawValue = Data(value.prefix(maxRawValueBytes))
            if let key { $0.rawKey = Data(key.prefix(maxRawKeyBytes)) }
        }
        return try letter.serializedBytes()
    }

    /// The dead letter to publish instead of `letter` after Kafka refused it for good
    /// (`cause` names why), and the offset of the record it is about; nil if `letter` is not
    /// a dead letter. It keeps its reason and names the record's partition and offset,
    /// without raw bytes. Deterministic, so a replayed round publishes the same bytes.
    public static func withheld(_ letter: [UInt8], cause: String) -> (value: [UInt8], sourceOffset: Int64)? {
        guard var letter = try? Loyalty_V1_DeadLetter(serializedBytes: letter) else { return nil }
        letter.reason =
            FieldLimits.truncated(letter.reason, maxBytes: 1024)
            + " (raw_value and raw_key withheld: the dead letter could not be published (\(cause)); "
            + "the record stays at its offset in \(letter.sourceTopic))"
        letter.rawValue = Data()
        letter.rawKey = Data()
        guard let value = try? letter.serializedBytes() as [UInt8] else { return nil }
        return (value, letter.offset)
    }
}
