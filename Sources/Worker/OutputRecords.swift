import Kafka
import Ledger
import LoyaltyWire
import Programme
import Foundation
import SwiftProtobuf

/// Turns what the ledger produced into the records the worker publishes. Pure: the
/// same outputs always give the same bytes, so a replayed batch republishes identical
/// results and positions.
struct OutputRecords {
    let topics: Topics
    let partition: Int32

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
                        memberId: transaction.memberId, traceId: context.traceIds[offset] ?? "", outcome: outcome,
                        original: original, partition: partition, offset: offset)
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

    func deadLetter(_ record: ConsumerRecord, reason: String) throws -> ProducerRecord {
        let letter = Loyalty_V1_DeadLetter.with {
            $0.sourceTopic = record.topic
            $0.partition = record.partition
            $0.offset = record.offset
            $0.reason = reason
            $0.rawValue = Data(record.value)
            if let key = record.key { $0.rawKey = Data(key) }
        }
        return ProducerRecord(
            topic: topics.deadLetters, partition: nil, key: record.key, value: try letter.serializedBytes()
        )
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
