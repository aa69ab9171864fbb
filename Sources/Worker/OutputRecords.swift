import Kafka
import Ledger
import LoyaltyWire
import Programme
import Foundation
import SwiftProtobuf

/// Turns what the ledger produced into the records the worker publishes. Pure: the
/// same outputs always give the same bytes, so a replayed batch republishes identical
/// results and positions.
///
/// Every record is bounded by construction, far below Kafka's message limit: a result
/// holds ids and a trace id within `FieldLimits` and reason details cut to
/// `FieldLimits.maxDetailBytes` (about 2 KB at most); a dead letter holds at most
/// `maxRawValueBytes` of the record and `maxRawKeyBytes` of its key. Should Kafka still
/// refuse one for good (a topic configured with a smaller max.message.bytes), `replacement`
/// gives the smaller record published in its place.
struct OutputRecords {
    let topics: Topics
    let partition: Int32

    /// How much of an undecodable record a dead letter carries. The whole record stays in
    /// the transactions topic (kept for ever) at the partition and offset the letter names.
    static let maxRawValueBytes = 64 * 1024
    static let maxRawKeyBytes = 1024
    /// A dead letter's own Kafka key: the record's key when it is at most this long.
    static let maxDeadLetterKeyBytes = FieldLimits.maxIdBytes

    /// Side information of a batch that the ledger does not keep: trace ids, and the
    /// partner and request id of balance inquiries, by offset.
    struct Context {
        var traceIds: [Int64: String] = [:]
        var inquiries: [Int64: (partnerId: String, requestId: String, traceId: String)] = [:]
    }

    func records(for outputs: [LedgerOutput], context: Context) throws -> [ProducerRecord] {
        try outputs.map { output in
            switch output {
            case .result(let offset, let transaction, let outcome, let original):
                return ProducerRecord(
                    topic: topics.results, partition: nil, key: Array(transaction.memberId.utf8),
                    value: ResultEncoder.result(
                        partnerId: transaction.partnerId, partnerTxnId: transaction.partnerTxnId,
                        memberId: transaction.memberId, traceId: context.traceIds[offset] ?? "", outcome: Self.bounded(outcome),
                        original: original.map(Self.bounded), partition: partition, offset: offset)
                )
            case .inquiry(let offset, let memberId, let balance):
                let request = context.inquiries[offset]
                return ProducerRecord(
                    topic: topics.results, partition: nil, key: Array(memberId.utf8),
                    value: ResultEncoder.result(
                        partnerId: request?.partnerId ?? "", partnerTxnId: request?.requestId ?? "", memberId: memberId,
                        traceId: request?.traceId ?? "", outcome: Outcome(status: .accepted, balanceAfter: balance),
                        original: nil, partition: partition, offset: offset, isInquiry: true)
                )
            case .position(let position):
                return ProducerRecord(
                    topic: topics.positions, partition: nil, key: Array(String(position.cycle).utf8),
                    value: try Loyalty_V1_ShardPosition(position).serializedBytes()
                )
            }
        }
    }

    /// `outcome` with its detail cut to `FieldLimits.maxDetailBytes` (details quote input).
    static func bounded(_ outcome: Outcome) -> Outcome {
        guard outcome.detail.utf8.count > FieldLimits.maxDetailBytes else { return outcome }
        var bounded = outcome
        bounded.detail = FieldLimits.truncated(outcome.detail)
        return bounded
    }

    func deadLetter(_ record: ConsumerRecord, reason: String) throws -> ProducerRecord {
        var reason = FieldLimits.truncated(reason)
        var notes: [String] = []
        if record.value.count > Self.maxRawValueBytes {
            notes.append("raw_value holds the first \(Self.maxRawValueBytes) of \(record.value.count) bytes")
        }
        if let key = record.key, key.count > Self.maxRawKeyBytes {
            notes.append("raw_key holds the first \(Self.maxRawKeyBytes) of \(key.count) bytes")
        }
        if !notes.isEmpty {
            reason += " (" + notes.joined(separator: "; ") + "; the whole record stays at its offset in \(record.topic))"
        }
        let letter = Loyalty_V1_DeadLetter.with {
            $0.sourceTopic = record.topic
            $0.partition = record.partition
            $0.offset = record.offset
            $0.reason = reason
            $0.rawValue = Data(record.value.prefix(Self.maxRawValueBytes))
            if let key = record.key { $0.rawKey = Data(key.prefix(Self.maxRawKeyBytes)) }
        }
        let key = record.key.flatMap { $0.count <= Self.maxDeadLetterKeyBytes ? $0 : nil }
        return ProducerRecord(topic: topics.deadLetters, partition: nil, key: key, value: try letter.serializedBytes())
    }

    /// What to publish instead of `record` after Kafka refused it for good (`error`), and
    /// the offset of the transactions record it is about; nil when it has no smaller form
    /// (positions: the clearing node needs them exact).
    ///
    /// A result keeps every field a partner acts on (ids, trace id, status, reason code,
    /// points, balance, partition, offset) and withholds its free text; a dead letter
    /// keeps its reason and names the record's partition and offset, without raw bytes.
    /// Deterministic, so a replayed round publishes the same replacement.
    func replacement(for record: ProducerRecord, error: KafkaError) -> (record: ProducerRecord, sourceOffset: Int64)? {
        let cause = RecordRefusal.name(error)
        switch record.topic {
        case topics.results:
            guard var result = try? Loyalty_V1_TransactionResult(serializedBytes: record.value) else { return nil }
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
            let key = record.key.map { Array($0.prefix(FieldLimits.maxIdBytes)) }
            return (ProducerRecord(topic: record.topic, partition: record.partition, key: key, value: value), result.offset)
        case topics.deadLetters:
            guard var letter = try? Loyalty_V1_DeadLetter(serializedBytes: record.value) else { return nil }
            letter.reason = FieldLimits.truncated(letter.reason, maxBytes: 1024)
                + " (raw_value and raw_key withheld: the dead letter could not be published (\(cause)); "
                + "the record stays at its offset in \(letter.sourceTopic))"
            letter.rawValue = Data()
            letter.rawKey = Data()
            guard let value = try? letter.serializedBytes() as [UInt8] else { return nil }
            return (ProducerRecord(topic: record.topic, partition: record.partition, key: nil, value: value), letter.offset)
        default:
            return nil
        }
    }
}

extension Loyalty_V1_ShardPosition {
    init(_ position: CyclePosition) {
        self.init()
        cycle = position.cycle
        partition = Int32(position.partition)
        firstOffset = position.firstOffset
        barrierOffset = position.barrierOffset
        closedAtMs = position.closedAtMilliseconds
        accepted = position.accepted
        rejected = position.rejected
        duplicates = position.duplicates
        deadLetters = position.deadLetters
        debts = position.debts.map { debt in
            .with {
                $0.payer = debt.payer
                $0.payee = debt.payee
                $0.amountMinor = debt.amountMinor
            }
        }
        points = position.points.map { points in
            .with {
                $0.partnerID = points.partnerId
                $0.issued = points.issued
                $0.redeemed = points.redeemed
                $0.expired = points.expired
                $0.clawedBack = points.clawedBack
                $0.feesMinor = points.feesMinor
            }
        }
        ledgerDigest = position.ledgerDigest
    }
}
