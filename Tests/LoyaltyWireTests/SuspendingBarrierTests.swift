import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

/// The clearing node's barrier carries the partners whose accruals it suspends (deposit
/// exhausted, refuse mode); both decoders give the list back unchanged.
@Suite(.timeLimit(.minutes(10))) struct SuspendingBarrierTests {
    @Test func theSuspendedListSurvivesTheWire() throws {
        let bytes: [UInt8] = try Loyalty_V1_TransactionEnvelope.barrier(
            cycle: 7, closedAtMilliseconds: 1_767_225_600_000, accrualSuspended: ["fuel", "grocery"]
        ).serializedBytes()
        for fastPath in [true, false] {
            let message = try InboundMessage.decode(bytes, fastPath: fastPath).get()
            #expect(message == .barrier(cycle: 7, closedAtMilliseconds: 1_767_225_600_000, accrualSuspended: ["fuel", "grocery"]))
        }
        let plain: [UInt8] = try Loyalty_V1_TransactionEnvelope.barrier(cycle: 8, closedAtMilliseconds: 5).serializedBytes()
        #expect(try InboundMessage.decode(plain).get() == .barrier(cycle: 8, closedAtMilliseconds: 5, accrualSuspended: []))
    }
}
