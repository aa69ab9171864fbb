import Kafka
import Ledger
import LoyaltyWire
import Programme
import SwiftProtobuf

/// Turns what the ledger produced into the records the worker publishes: topics, keys,
/// and values from LoyaltyWire's encoders (`ResultEncoder`, `DeadLetterEncoder`, the
/// ShardPosition conversion). Pure: the same outputs always give the same bytes, so a
/// replayed batch republishes identical results and positions.
///
/// Every record is bounded by construction, far below Kafka's message limit: a result
/// holds ids and a trace id within `FieldLimits` and reason details cut to
/// `FieldLimits.maxDetailBytes` (about 2 KB at most); a dead letter is bounded by
/// `DeadLetterEncoder`. Should Kafka still refuse one for good (a topic configured with a
/// smaller max.message.bytes), `replacement` gives the smaller record published in its place.
struct OutputRecords {
    let topics: Topics
    let partition: Int32

    /// A dead letter's own Kafka key: the record's key when it is at most this long.
    static let maxDeadLetterKeyBytes = FieldLimits.maxIdBytes

    /// Side information of a batch that the ledger does not keep: trace ids, and the
    /// partner and request id of balance inquiries, by offset.
    struct Context {
        var traceIds: [Int64: String] = [:]
        var inquiries: [Int64: (partnerId: String, requestId: String, traceId: String)] = [:]
    }

    func records(for outputs: [LedgerOutput], context: Context) throws -> [ProducerRecord] {
        var records = try outputs.map { output in
            switch output {
            case .result(let offset, let transaction, let outcome, let original, let facts):
                let traceId = context.traceIds[offset]
                return ProducerRecord(
                    topic: topics.results, partition: nil, key: Array(transaction.memberId.utf8),
                    value: ResultEncoder.result(
                        partnerId: transaction.partnerId, partnerTxnId: transaction.partnerTxnId,
                        memberId: transaction.memberId, traceId: traceId ?? "", outcome: Self.bounded(outcome),
                        original: original.map(Self.bounded), partition: partition, offset: offset, facts: facts),
                    traceId: traceId
                )
            case .inquiry(let offset, let memberId, let balance, let facts):
                let request = context.inquiries[offset]
                return ProducerRecord(
                    topic: topics.results, partition: nil, key: Array(memberId.utf8),
                    value: ResultEncoder.result(
                        partnerId: request?.partnerId ?? "", partnerTxnId: request?.requestId ?? "", memberId: memberId,
                        traceId: request?.traceId ?? "", outcome: Outcome(status: .accepted, balanceAfter: balance),
                        original: nil, partition: partition, offset: offset, isInquiry: true, facts: facts),
                    traceId: request.flatMap { $0.traceId.isEmpty ? nil : $0.traceId }
                )
            case .position(let position):
                return ProducerRecord(
                    topic: topics.positions, partition: nil, key: Array(String(position.cycle).utf8),
                    value: try Loyalty_V1_ShardPosition(position).serializedBytes()
                )
            }
        }
        try appendCardDirectory(outputs, to: &records)
        return records
    }

    /// The card directory's record of each card operation the batch accepted (not of its
    /// duplicates: the first publication had it): the operation itself, as an envelope keyed
    /// by its card id (docs/programme.md, "Shared accounts and cards").
    private func appendCardDirectory(_ outputs: [LedgerOutput], to records: inout [ProducerRecord]) throws {
        for case .result(_, let transaction, let outcome, _, _) in outputs where outcome.status == .accepted {
            guard case .card(let operation) = transaction.body else { continue }
            records.append(
                ProducerRecord(
                    topic: topics.cards, partition: nil, key: Array(operation.cardId.utf8),
                    value: try Loyalty_V1_TransactionEnvelope(transaction).serializedBytes()))
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
        let value = try DeadLetterEncoder.encode(
            sourceTopic: record.topic, partition: record.partition, offset: record.offset, key: record.key, value: record.value,
            reason: reason)
        let key = record.key.flatMap { $0.count <= Self.maxDeadLetterKeyBytes ? $0 : nil }
        return ProducerRecord(topic: topics.deadLetters, partition: nil, key: key, value: value)
    }

    /// What to publish instead of `record` after Kafka refused it for good (`error`), and
    /// the offset of the transactions record it is about; nil when it has no smaller form
    /// (positions: the clearing node needs them exact). A result without its free text
    /// (`ResultEncoder.withheld`, its key cut to an id's limit); a dead letter without raw
    /// bytes (`DeadLetterEncoder.withheld`, no key).
    func replacement(for record: ProducerRecord, error: KafkaError) -> (record: ProducerRecord, sourceOffset: Int64)? {
        let cause = RecordRefusal.name(error)
        switch record.topic {
        case topics.results:
            guard let (value, offset) = ResultEncoder.withheld(record.value, cause: cause) else { return nil }
            let key = record.key.map { Array($0.prefix(FieldLimits.maxIdBytes)) }
            return (ProducerRecord(topic: record.topic, partition: record.partition, key: key, value: value, traceId: record.traceId), offset)
        case topics.deadLetters:
            guard let (value, offset) = DeadLetterEncoder.withheld(record.value, cause: cause) else { return nil }
            return (ProducerRecord(topic: record.topic, partition: record.partition, key: nil, value: value), offset)
        default:
            return nil
        }
    }
}
