import Clearing
import Testing

@Suite("Instructions: greedy order, ties, central counterparty", .timeLimit(.minutes(10)))
struct InstructionPlannerTests {
    @Test func greedyLargestDebtorPaysLargestCreditor() throws {
        let settlement = try CycleSettlement.settle(Fixtures.input())
        #expect(
            settlement.instructions == [
                SettlementInstruction(sequence: 1, payer: "D", payee: "B", amountMinor: 550),
                SettlementInstruction(sequence: 2, payer: "A", payee: "C", amountMinor: 250),
                SettlementInstruction(sequence: 3, payer: "A", payee: "OP", amountMinor: 80),
                SettlementInstruction(sequence: 4, payer: "A", payee: "B", amountMinor: 20),
            ])
    }

    @Test func tiesGoToTheSmallerIdOnBothSides() throws {
        let positions = [
            NetPosition(participant: "d", amountMinor: 100), NetPosition(participant: "b", amountMinor: -100),
            NetPosition(participant: "c", amountMinor: 100), NetPosition(participant: "a", amountMinor: -100),
        ]
        let instructions = try InstructionPlanner.instructions(for: positions, mode: .greedy)
        #expect(
            instructions == [
                SettlementInstruction(sequence: 1, payer: "a", payee: "c", amountMinor: 100),
                SettlementInstruction(sequence: 2, payer: "b", payee: "d", amountMinor: 100),
            ])
        let reversed = try InstructionPlanner.instructions(for: positions.reversed(), mode: .greedy)
        #expect(reversed == instructions)
    }

    @Test func idsCompareByBytesNotByLocale() throws {
        // "B" (0x42) sorts before "a" (0x61) by bytes.
        let positions = [
            NetPosition(participant: "a", amountMinor: -5), NetPosition(participant: "B", amountMinor: -5),
            NetPosition(participant: "x", amountMinor: 10),
        ]
        let instructions = try InstructionPlanner.instructions(for: positions, mode: .greedy)
        #expect(instructions.map(\.payer) == ["B", "a"])
    }

    @Test func centralCounterpartyCollectsThenPaysOut() throws {
        let settlement = try CycleSettlement.settle(Fixtures.input(), mode: .centralCounterparty(operatorId: "OP"))
        #expect(
            settlement.instructions == [
                SettlementInstruction(sequence: 1, payer: "A", payee: "OP", amountMinor: 350),
                SettlementInstruction(sequence: 2, payer: "D", payee: "OP", amountMinor: 550),
                SettlementInstruction(sequence: 3, payer: "OP", payee: "B", amountMinor: 570),
                SettlementInstruction(sequence: 4, payer: "OP", payee: "C", amountMinor: 250),
            ])
        let remaining = Fixtures.apply(settlement.instructions, to: settlement.netting.positions)
        #expect(remaining.values.allSatisfy { $0 == 0 })
    }

    @Test func positionsThatDoNotSumToZeroAreRejected() {
        let error = #expect(throws: ClearingError.self) {
            try InstructionPlanner.instructions(for: [NetPosition(participant: "a", amountMinor: 1)], mode: .greedy)
        }
        #expect(error?.code == .invalidInput)
        #expect(error?.found == "1")
    }

    @Test func noPositionsNoInstructions() throws {
        #expect(try InstructionPlanner.instructions(for: [], mode: .greedy).isEmpty)
    }
}
