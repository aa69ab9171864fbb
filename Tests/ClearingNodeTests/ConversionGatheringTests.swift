import Clearing
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@testable import ClearingNode

/// The clearing node gathers every shard's conversions into the settlement input (in
/// partition order, each shard's in offset order), and a position's conversions survive
/// the wire byte for byte.
@Suite("Conversions from positions")
struct ConversionGatheringTests {
    private let programme = Programme.sample

    private func position(partition: Int64, first: Int64, barrier: Int64, conversions: [Conversion]) -> CyclePosition {
        CyclePosition(
            cycle: 1, partition: partition, firstOffset: first, barrierOffset: barrier, closedAtMilliseconds: 0,
            accepted: barrier - first, rejected: 0, duplicates: 0, deadLetters: 0, debts: [], points: [], ledgerDigest: "",
            conversions: conversions)
    }

    private func conversion(_ txn: String, _ member: String, offset: Int64) -> Conversion {
        Conversion(
            partnerId: "airline", partnerTxnId: txn, memberId: member, externalMemberId: "X-\(member)", points: 1_000, miles: 400, offset: offset)
    }

    @Test("every partition's conversions reach the settlement input and its files")
    func gathered() throws {
        let check = CycleCheck(
            cycle: 1, closedAtMilliseconds: 2_000, partitions: 2,
            positions: [
                1: position(partition: 1, first: 0, barrier: 9, conversions: [conversion("t3", "m3", offset: 4)]),
                0: position(partition: 0, first: 0, barrier: 9, conversions: [conversion("t1", "m1", offset: 2), conversion("t2", "m2", offset: 5)]),
            ],
            previousPositions: [:], previousClosedAtMilliseconds: 1_000, previousManifestSHA256: nil)
        #expect(check.problem(programme: programme) == nil)
        let input = check.settlementInput(programme: programme)
        #expect(input.conversions.map(\.partnerTxnId) == ["t1", "t2", "t3"])
        let settlement = try CycleSettlement.settle(input)
        #expect(settlement.input.conversions.count == 3)
    }

    @Test("a position's conversions survive the wire unchanged")
    func wireRoundTrip() throws {
        let sent = position(partition: 0, first: 0, barrier: 9, conversions: [conversion("t1", "m1", offset: 2), conversion("t2", "m2", offset: 5)])
        let bytes: [UInt8] = try Loyalty_V1_ShardPosition(sent).serializedBytes()
        #expect(CyclePosition(try Loyalty_V1_ShardPosition(serializedBytes: bytes)) == sent)
    }
}
