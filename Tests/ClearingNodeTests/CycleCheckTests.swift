import Clearing
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@testable import ClearingNode

@Suite("Checks before a cycle is settled")
struct CycleCheckTests {
    private let programme = Programme.sample

    /// A consistent position: fuel's points redeemed at cinema (debt fuel -> cinema of
    /// 300 x point value), and fuel's fee debt to the operator matching its fee figure.
    private func position(partition: Int64, first: Int64, barrier: Int64, cycle: Int64 = 2) -> CyclePosition {
        CyclePosition(
            cycle: cycle, partition: partition, firstOffset: first, barrierOffset: barrier, closedAtMilliseconds: 0,
            accepted: barrier - first, rejected: 0, duplicates: 0, deadLetters: 0,
            debts: [
                DebtTotal(payer: "fuel", payee: "cinema", amountMinor: 300 * programme.pointValueMinor),
                DebtTotal(payer: "fuel", payee: programme.operatorId, amountMinor: 42),
            ],
            points: [
                PartnerPoints(partnerId: "fuel", issued: 1_000, feesMinor: 42),
                PartnerPoints(partnerId: "cinema", redeemed: 300),
            ],
            ledgerDigest: "")
    }

    private func check(_ positions: [CyclePosition], previous: [CyclePosition]) -> CycleCheck {
        CycleCheck(
            cycle: 2, closedAtMilliseconds: 2_000, partitions: 2,
            positions: Dictionary(uniqueKeysWithValues: positions.map { (Int32($0.partition), $0) }),
            previousPositions: Dictionary(uniqueKeysWithValues: previous.map { (Int32($0.partition), $0) }),
            previousClosedAtMilliseconds: 1_000, previousManifestSHA256: String(repeating: "a", count: 64)
        )
    }

    private var previous: [CyclePosition] {
        [position(partition: 0, first: 0, barrier: 10, cycle: 1), position(partition: 1, first: 0, barrier: 20, cycle: 1)]
    }

    @Test("a consistent cycle passes and becomes a settlement input with every partition's range")
    func passes() throws {
        let check = check([position(partition: 0, first: 11, barrier: 30), position(partition: 1, first: 21, barrier: 25)], previous: previous)
        #expect(check.problem(programme: programme) == nil)
        let input = check.settlementInput(programme: programme)
        #expect(input.partitions.map(\.firstOffset) == [11, 21])
        #expect(input.debts.count == 4)
        #expect(input.accounts.count == programme.partners.count + 1)
    }

    @Test("a position survives the wire unchanged, the only conversion between the two")
    func wireRoundTrip() throws {
        let sent = position(partition: 1, first: 21, barrier: 25)
        let bytes: [UInt8] = try Loyalty_V1_ShardPosition(sent).serializedBytes()
        let wire = try Loyalty_V1_ShardPosition(serializedBytes: bytes)
        #expect(wire.points.map(\.partnerID) == ["fuel", "cinema"])
        #expect(CyclePosition(wire) == sent)
    }

    @Test("a missing partition keeps the cycle waiting")
    func missing() {
        let problem = check([position(partition: 0, first: 11, barrier: 30)], previous: previous).problem(programme: programme)
        #expect(problem == "no position from partition 1 yet")
    }

    @Test("a gap or an overlap with the previous cycle names the partition and the offsets")
    func continuity() throws {
        let gap = try #require(
            check([position(partition: 0, first: 12, barrier: 30), position(partition: 1, first: 21, barrier: 25)], previous: previous).problem(
                programme: programme))
        #expect(gap.contains("partition 0") && gap.contains("in no cycle"))
        let overlap = try #require(
            check([position(partition: 0, first: 11, barrier: 30), position(partition: 1, first: 19, barrier: 25)], previous: previous).problem(
                programme: programme))
        #expect(overlap.contains("partition 1") && overlap.contains("in two cycles"))
    }

    @Test("more records counted than the cycle spans is refused")
    func counts() throws {
        var doubled = position(partition: 1, first: 21, barrier: 25)
        doubled.duplicates = 1
        let problem = try #require(
            check([position(partition: 0, first: 11, barrier: 30), doubled], previous: previous).problem(programme: programme))
        #expect(problem.contains("partition 1") && problem.contains("5 records counted"))
    }

    @Test("fees or receivables that disagree with the debts name the partner")
    func figures() throws {
        var fees = position(partition: 0, first: 11, barrier: 30)
        fees.points[0].feesMinor = 41
        let feeProblem = try #require(
            check([fees, position(partition: 1, first: 21, barrier: 25)], previous: previous).problem(programme: programme))
        #expect(feeProblem.hasPrefix("partner fuel: fees"))

        var receivable = position(partition: 1, first: 21, barrier: 25)
        receivable.debts[0].amountMinor += 1
        let receivableProblem = try #require(
            check([position(partition: 0, first: 11, barrier: 30), receivable], previous: previous).problem(programme: programme))
        #expect(receivableProblem.hasPrefix("partner cinema: points redeemed"))
    }

    @Test("schedules: interval and daily cut-off in a time zone")
    func schedules() throws {
        #expect(ClearingSchedule.interval(seconds: 60).nextDue(afterMilliseconds: 1_000) == 61_000)
        // 2026-11-23T10:00Z; 23:00 in Berlin (UTC+1 in November) is 22:00Z the same day.
        let due = try #require(ClearingSchedule.daily(hour: 23, minute: 0, timeZone: "Europe/Berlin").nextDue(afterMilliseconds: 1_795_428_000_000))
        #expect(due == 1_795_471_200_000)
        #expect(throws: ClearingNodeError.self) { try ClearingSchedule.parse(everySeconds: nil, dailyAt: "25:00", timeZone: "UTC") }
        #expect(throws: ClearingNodeError.self) { try ClearingSchedule.parse(everySeconds: nil, dailyAt: "23:00", timeZone: "Mars/Olympus") }
    }
}
