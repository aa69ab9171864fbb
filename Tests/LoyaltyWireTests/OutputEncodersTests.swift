import Foundation
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

/// The plain-value encoders of the worker's outputs: what they keep, what they cut.
@Suite(.timeLimit(.minutes(10)))
struct OutputEncodersTests {
    @Test func aSmallDeadLetterCarriesTheWholeRecord() throws {
        let bytes = try DeadLetterEncoder.encode(
            sourceTopic: "loyalty.transactions", partition: 2, offset: 41, key: [0x6D], value: [0xFF, 0x00], reason: "record: x")
        let letter = try Loyalty_V1_DeadLetter(serializedBytes: bytes)
        #expect(letter.sourceTopic == "loyalty.transactions" && letter.partition == 2 && letter.offset == 41)
        #expect(Array(letter.rawKey) == [0x6D] && Array(letter.rawValue) == [0xFF, 0x00] && letter.reason == "record: x")
        let noKey = try Loyalty_V1_DeadLetter(
            serializedBytes: try DeadLetterEncoder.encode(sourceTopic: "t", partition: 0, offset: 0, key: nil, value: [], reason: "r"))
        #expect(noKey.rawKey.isEmpty && noKey.rawValue.isEmpty)
    }

    @Test func withheldFormsKeepTheNumbersAndCutTheText() throws {
        let wide = String(repeating: "w", count: 1_000)
        let result = ResultEncoder.result(
            partnerId: wide, partnerTxnId: "t", memberId: "m", traceId: wide,
            outcome: Outcome(status: .rejected, reason: .invalidAmount, detail: "amount: no", pointsDelta: 0, balanceAfter: -5),
            original: nil, partition: 4, offset: 77)
        let (value, offset) = try #require(ResultEncoder.withheld(result, cause: "MSG_SIZE_TOO_LARGE"))
        #expect(offset == 77)
        let decoded = try Loyalty_V1_TransactionResult(serializedBytes: value)
        #expect(decoded.partnerID.utf8.count == FieldLimits.maxIdBytes && decoded.traceID.utf8.count == FieldLimits.maxTraceIdBytes)
        #expect(decoded.outcome.reason == .invalidAmount && decoded.outcome.balanceAfter == -5 && decoded.partition == 4)
        #expect(decoded.outcome.reasonDetail == "reason_detail withheld: the full result could not be published (MSG_SIZE_TOO_LARGE)")
        #expect(!decoded.hasOriginal)

        let letter = try DeadLetterEncoder.encode(
            sourceTopic: "loyalty.transactions", partition: 1, offset: 9, key: [1], value: [2], reason: "record: bad")
        let (letterValue, letterOffset) = try #require(DeadLetterEncoder.withheld(letter, cause: "INVALID_MSG"))
        let withheld = try Loyalty_V1_DeadLetter(serializedBytes: letterValue)
        #expect(letterOffset == 9 && withheld.rawKey.isEmpty && withheld.rawValue.isEmpty)
        #expect(withheld.reason.hasSuffix("(INVALID_MSG); the record stays at its offset in loyalty.transactions)"))
        // Bytes that are not the message: no replacement.
        #expect(ResultEncoder.withheld([0xFF], cause: "x") == nil && DeadLetterEncoder.withheld([0xFF], cause: "x") == nil)
    }
}
