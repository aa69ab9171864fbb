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
                let result = Loyalty_V1_TransactionResult.with {
                    $0.partnerID = transaction.partnerId
                    $0.partnerTxnID = transaction.partnerTxnId
                    $0.memberID = transaction.memberId
                    $0.traceID = context.traceIds[offset] ?? ""
                    $0.outcome = Loyalty_V1_Outcome(outcome)
                    if let original { $0.original = Loyalty_V1_Outcome(original) }
                    $0.partition = partition
                    $0.offset = offset
                }
                return ProducerRecord(
                    topic: topics.results, partition: nil, key: Array(transaction.memberId.utf8),
                    value: try result.serializedBytes()
                )
            case .inquiry(let offset, let memberId, let balance):
                let request = context.inquiries[offset]
                let result = Loyalty_V1_TransactionResult.with {
                    $0.partnerID = request?.partnerId ?? ""
                    $0.partnerTxnID = request?.requestId ?? ""
                    $0.memberID = memberId
                    $0.traceID = request?.traceId ?? ""
                    $0.outcome = .with {
                        $0.status = .accepted
                        $0.balanceAfter = balance
                    }
                    $0.partition = partition
                    $0.offset = offset
                    $0.isInquiry = true
                }
                return ProducerRecord(
                    topic: topics.results, partition: nil, key: Array(memberId.utf8),
                    value: try result.serializedBytes()
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
