import Foundation
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

/// The hand-written result encoder must give swift-protobuf's bytes exactly: a replayed
/// batch republishes identical records, and consumers decode them with the generated code.
@Suite(.timeLimit(.minutes(10)))
struct ResultEncoderTests {
    /// What the worker published before the hand-written encoder (kept here as the reference).
    private func reference(
        partnerId: String, partnerTxnId: String, memberId: String, traceId: String, outcome: Outcome,
        original: Outcome?, partition: Int32, offset: Int64, isInquiry: Bool
    ) throws -> [UInt8] {
        try Loyalty_V1_TransactionResult.with {
            $0.partnerID = partnerId
            $0.partnerTxnID = partnerTxnId
            $0.memberID = memberId
            $0.traceID = traceId
            $0.outcome = Loyalty_V1_Outcome(outcome)
            if let original { $0.original = Loyalty_V1_Outcome(original) }
            $0.partition = partition
            $0.offset = offset
            $0.isInquiry = isInquiry
        }.serializedBytes()
    }

    @Test(.seeded(1)) func sameBytesAsSwiftProtobuf() throws {
        var random = TestSeed.generator()
        let texts = ["", "a", "m-000042", "pharmacy-42-123456", "ünïcödé ✓", String(repeating: "x", count: 200)]
        let numbers: [Int64] = [0, 1, -1, 127, 128, -128, 300, 16_383, 16_384, Int64.max, Int64.min, 1_000_000_000_000, -999_999]
        func outcome() -> Outcome {
            let status = [Outcome.Status.accepted, .rejected, .duplicate].randomElement(using: &random)!
            let reason = Bool.random(using: &random) ? RejectReason.allCases.randomElement(using: &random) : nil
            return Outcome(
                status: status, reason: reason, detail: texts.randomElement(using: &random)!,
                pointsDelta: numbers.randomElement(using: &random)!, balanceAfter: numbers.randomElement(using: &random)!)
        }
        for _ in 0..<5_000 {
            let partnerId = texts.randomElement(using: &random)!
            let txnId = texts.randomElement(using: &random)!
            let memberId = texts.randomElement(using: &random)!
            let traceId = texts.randomElement(using: &random)!
            let main = outcome()
            let original = Bool.random(using: &random) ? outcome() : nil
            let partition = [Int32(0), 1, 15, 127, 128, 100_000, Int32.max].randomElement(using: &random)!
            let offset = numbers.filter { $0 >= 0 }.randomElement(using: &random)!
            let isInquiry = Bool.random(using: &random)
            let mine = ResultEncoder.result(
                partnerId: partnerId, partnerTxnId: txnId, memberId: memberId, traceId: traceId, outcome: main,
                original: original, partition: partition, offset: offset, isInquiry: isInquiry)
            let theirs = try reference(
                partnerId: partnerId, partnerTxnId: txnId, memberId: memberId, traceId: traceId, outcome: main,
                original: original, partition: partition, offset: offset, isInquiry: isInquiry)
            #expect(mine == theirs, "\(main) \(String(describing: original)) \(partition) \(offset)")
            if mine != theirs { return }
        }
    }
}
