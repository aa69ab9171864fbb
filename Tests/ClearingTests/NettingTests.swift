import Clearing
import Programme
import Testing

@Suite("Netting: hand-worked examples", .timeLimit(.minutes(10)))
struct NettingTests {
    @Test func positionsOfTheHandWorkedCycle() throws {
        let result = try Netting.net(Fixtures.debts, operatorId: Fixtures.operatorId)
        #expect(
            result.positions == [
                NetPosition(participant: "A", amountMinor: -350),
                NetPosition(participant: "B", amountMinor: 570),
                NetPosition(participant: "C", amountMinor: 250),
                NetPosition(participant: "D", amountMinor: -550),
                NetPosition(participant: "OP", amountMinor: 80),
            ])
        #expect(result.positions.reduce(0) { $0 + $1.amountMinor } == 0)
    }

    @Test func negativeDebtsNetWithinThePairAndFlipDirection() throws {
        let result = try Netting.net(Fixtures.debts, operatorId: Fixtures.operatorId)
        #expect(
            result.obligations == [
                DebtTotal(payer: "A", payee: "B", amountMinor: 900),
                DebtTotal(payer: "A", payee: "OP", amountMinor: 50),
                DebtTotal(payer: "B", payee: "C", amountMinor: 300),
                DebtTotal(payer: "B", payee: "OP", amountMinor: 30),
                DebtTotal(payer: "C", payee: "A", amountMinor: 200),
                DebtTotal(payer: "D", payee: "A", amountMinor: 400),
                DebtTotal(payer: "D", payee: "C", amountMinor: 150),
            ])
        #expect(result.grossAmountMinor == 2030)
        #expect(result.entryCount == 9)
    }

    @Test func selfDebtIsRecordedButNotSettled() throws {
        let result = try Netting.net(Fixtures.debts, operatorId: Fixtures.operatorId)
        #expect(result.selfDebts == [NetPosition(participant: "B", amountMinor: 500)])
        #expect(!result.obligations.contains { $0.payer == $0.payee })
        let onlySelf = try Netting.net([DebtTotal(payer: "A", payee: "A", amountMinor: 10)], operatorId: "OP")
        #expect(onlySelf.positions.allSatisfy { $0.amountMinor == 0 })
        #expect(onlySelf.obligations.isEmpty)
    }

    @Test func cancelInTheSameCycleLeavesNoObligation() throws {
        let result = try Netting.net(
            [DebtTotal(payer: "A", payee: "B", amountMinor: 70), DebtTotal(payer: "A", payee: "B", amountMinor: -70)],
            operatorId: "OP")
        #expect(result.obligations.isEmpty)
        #expect(result.grossAmountMinor == 0)
    }

    @Test func operatorAndListedParticipantsGetZeroPositions() throws {
        let result = try Netting.net([], operatorId: "OP", participants: ["Z", "A"])
        #expect(result.positions.map(\.participant) == ["A", "OP", "Z"])
    }

    @Test func overflowIsAnErrorNotATrap() {
        let error = #expect(throws: ClearingError.self) {
            try Netting.net(
                [DebtTotal(payer: "A", payee: "B", amountMinor: .max), DebtTotal(payer: "A", payee: "B", amountMinor: 1)],
                operatorId: "OP")
        }
        #expect(error?.code == .arithmeticOverflow)
        let minimum = #expect(throws: ClearingError.self) {
            try Netting.net([DebtTotal(payer: "A", payee: "B", amountMinor: .min)], operatorId: "OP")
        }
        #expect(minimum?.code == .arithmeticOverflow)
    }

    @Test func efficiencyReportsGrossAgainstMoved() throws {
        let settlement = try CycleSettlement.settle(Fixtures.input())
        #expect(settlement.efficiency.grossObligationCount == 7)
        #expect(settlement.efficiency.instructionCount == 4)
        #expect(settlement.efficiency.grossAmountMinor == 2030)
        #expect(settlement.efficiency.movedAmountMinor == 900)
        #expect(settlement.efficiency.moneySavedBasisPoints == 5566)  // 1130 / 2030
    }

    @Test func unknownParticipantIsRejected() {
        var debts = Fixtures.debts
        debts.append(DebtTotal(payer: "A", payee: "GHOST", amountMinor: 5))
        let error = #expect(throws: ClearingError.self) { try CycleSettlement.settle(Fixtures.input(debts: debts)) }
        #expect(error?.code == .unknownParticipant)
        #expect(error?.found == "GHOST")
    }
}
