import Basics
import Programme
import PropertyBased
import Testing

@testable import Clearing

@Suite("Netting properties on random debt matrices", .timeLimit(.minutes(10)))
struct NettingPropertyTests {
    /// Participant count, entry count and seed are generated; the matrix is expanded from
    /// the seed, so large matrices (up to 1,000 participants) stay cheap to describe.
    static let matrix = zip(Gen.int(in: 2...1000), Gen.int(in: 0...20_000), Gen.uint64())

    @Test func positionsSumToZeroAndMatchTheReference() async {
        await propertyCheck(count: 40, input: Self.matrix) { participants, entries, seed in
            let (_, debts) = Fixtures.randomDebts(participantCount: participants, entryCount: entries, seed: seed)
            let result = try Netting.net(debts, operatorId: "OP")
            #expect(result.positions.reduce(0) { $0 + $1.amountMinor } == 0)
            let reference = Fixtures.referencePositions(debts)
            for position in result.positions {
                #expect(position.amountMinor == reference[position.participant] ?? 0, "\(position.participant)")
            }
        }
    }

    @Test func greedyInstructionsClearEveryPositionWithAtMostNMinusOne() async {
        await propertyCheck(count: 40, input: Self.matrix) { participants, entries, seed in
            let (_, debts) = Fixtures.randomDebts(participantCount: participants, entryCount: entries, seed: seed)
            let result = try Netting.net(debts, operatorId: "OP")
            let instructions = try InstructionPlanner.instructions(for: result.positions, mode: .greedy)
            let remaining = Fixtures.apply(instructions, to: result.positions)
            #expect(remaining.values.allSatisfy { $0 == 0 })
            let nonZero = result.positions.filter { $0.amountMinor != 0 }.count
            #expect(instructions.count <= max(nonZero - 1, 0))
            #expect(instructions.allSatisfy { $0.amountMinor > 0 && $0.payer != $0.payee })
            #expect(instructions.enumerated().allSatisfy { $0.offset + 1 == $0.element.sequence })
        }
    }

    @Test func centralCounterpartyClearsWithOneTransferPerParticipant() async {
        await propertyCheck(count: 30, input: Self.matrix) { participants, entries, seed in
            let (_, debts) = Fixtures.randomDebts(participantCount: participants, entryCount: entries, seed: seed)
            let result = try Netting.net(debts, operatorId: "OP")
            let instructions = try InstructionPlanner.instructions(
                for: result.positions, mode: .centralCounterparty(operatorId: "OP"))
            #expect(Fixtures.apply(instructions, to: result.positions).values.allSatisfy { $0 == 0 })
            let nonZeroPartners = result.positions.filter { $0.amountMinor != 0 && $0.participant != "OP" }.count
            #expect(instructions.count == nonZeroPartners)
            #expect(instructions.allSatisfy { ($0.payer == "OP") != ($0.payee == "OP") })
        }
    }

    @Test func outputDoesNotDependOnInputOrder() async {
        await propertyCheck(count: 30, input: Self.matrix) { participants, entries, seed in
            let (ids, debts) = Fixtures.randomDebts(participantCount: participants, entryCount: entries, seed: seed)
            var random = SplitMix64(seed: seed ^ 0x5EED)
            let shuffled = debts.shuffled(using: &random)
            let first = try Netting.net(debts, operatorId: "OP", participants: ids)
            let second = try Netting.net(shuffled, operatorId: "OP", participants: ids.shuffled(using: &random))
            #expect(first == second)
            #expect(
                try InstructionPlanner.instructions(for: first.positions, mode: .greedy)
                    == InstructionPlanner.instructions(for: second.positions.shuffled(using: &random), mode: .greedy))
        }
    }

    /// Small matrices straight from generators, so a failure shrinks to a handful of debts.
    @Test func smallMatricesShrinkToReadableFailures() async {
        let debt = zip(Gen.int(in: 0...4), Gen.int(in: 0...4), Gen.int64(in: -50...50)).map { payer, payee, amount in
            DebtTotal(payer: "p\(payer)", payee: "p\(payee)", amountMinor: amount)
        }
        await propertyCheck(count: 200, input: debt.array(of: 0...40)) { debts in
            let result = try Netting.net(debts, operatorId: "p0")
            let instructions = try InstructionPlanner.instructions(for: result.positions, mode: .greedy)
            #expect(Fixtures.apply(instructions, to: result.positions).values.allSatisfy { $0 == 0 })
            let nonZero = result.positions.filter { $0.amountMinor != 0 }.count
            #expect(instructions.count <= max(nonZero - 1, 0))
            let reference = Fixtures.referencePositions(debts)
            #expect(result.positions.allSatisfy { $0.amountMinor == reference[$0.participant] ?? 0 })
        }
    }
}

@Suite("Netting: matrix and dictionary paths agree", .timeLimit(.minutes(10)))
struct NettingPathTests {
    @Test func denseAndSparseAggregationGiveTheSameResult() async {
        await propertyCheck(count: 30, input: NettingPropertyTests.matrix) { participants, entries, seed in
            let (ids, debts) = Fixtures.randomDebts(participantCount: participants, entryCount: entries, seed: seed)
            let sparse = try Netting.net(debts, operatorId: "OP", participants: ids, denseParticipantLimit: 0)
            let dense = try Netting.net(debts, operatorId: "OP", participants: ids, denseParticipantLimit: .max)
            #expect(sparse == dense)
        }
    }

    @Test func bothPathsFlipAndMergeNegativeSums() throws {
        let debts = [
            DebtTotal(payer: "A", payee: "B", amountMinor: 10), DebtTotal(payer: "B", payee: "A", amountMinor: -5),
            DebtTotal(payer: "C", payee: "A", amountMinor: -7),
        ]
        for limit in [0, Int.max] {
            let result = try Netting.net(debts, operatorId: "OP", participants: [], denseParticipantLimit: limit)
            #expect(
                result.obligations == [
                    DebtTotal(payer: "A", payee: "B", amountMinor: 15),
                    DebtTotal(payer: "A", payee: "C", amountMinor: 7),
                ], "limit \(limit)")
        }
    }
}
