import Basics
import Foundation
import Programme
import SettlementFiles
import Testing

@testable import Clearing

/// `loyalty settlement trace`'s arithmetic: on generated cycles (random transaction debts
/// in both directions, negatives, self-debts, cycle fees and deposits drawn), the traced
/// lines of every ordered pair sum to the bilateral amount the netting settled and the
/// payer's statement states, and every participant's lines to its net position.
@Suite(.timeLimit(.minutes(10))) struct SettlementTraceTests {
    static let ids = ["OP", "A", "B", "C", "D"]

    static func generated(seed: UInt64) throws -> (CycleSettlementInput, [TraceEntry]) {
        var random = SplitMix64(seed: seed)
        var entries: [TraceEntry] = []
        for offset in 0..<(20 + random.below(60)) {
            let payer = ids[random.below(ids.count)]
            let payee = random.below(10) == 0 ? payer : ids[random.below(ids.count)]
            let amount = Int64.random(in: -500...5_000, using: &random)
            entries.append(TraceEntry(payer: payer, payee: payee, amountMinor: amount, what: "partition 0 offset \(offset)"))
        }
        var funded: Int64 = 0
        for entry in entries where entry.payer == "A" && entry.payee == "OP" { funded += entry.amountMinor }
        var input = Fixtures.input(debts: entries.map { DebtTotal(payer: $0.payer, payee: $0.payee, amountMinor: $0.amountMinor) })
        input.points = [PartnerPoints(partnerId: "A", issued: max(0, funded), fundedMinor: funded)]
        input.terms = [
            PartnerTerms(
                partnerId: "A", fundingModel: .operatorFunded, cycleFeeMinor: Int64(random.below(300)),
                deposit: Deposit(amountMinor: Int64(random.below(20_000)), frozenMinor: Int64(random.below(500))), pointValueMinor: 1),
            PartnerTerms(partnerId: "B", cycleFeeMinor: Int64(random.below(300)), pointValueMinor: 1),
            PartnerTerms(partnerId: "C", pointValueMinor: 1),
        ]
        return (input, entries)
    }

    @Test func tracedLinesSumToTheSettledFiguresForEveryPair() async throws {
        for seed in UInt64(1)...40 {
            if seed % 10 == 0 { await Task.yield() }  // a few times: each yield can wait seconds on a loaded pool
            let (input, ledgerEntries) = try Self.generated(seed: seed)
            let settlement = try CycleSettlement.settle(input)
            let entries = ledgerEntries + PartnerEconomics.traceEntries(settlement.economics, operatorId: input.operatorId)
            let files = try SettlementRenderer.render(settlement, signingKey: Fixtures.signingKey)
            func statement(_ id: String) -> String {
                String(decoding: files.first { $0.name == SettlementFileName.statement(cycle: 1, partner: id) }!.bytes, as: UTF8.self)
            }
            for payer in Self.ids {
                let own = try PartnerEconomics.trace(entries, participant: payer)
                #expect(own.totalMinor == settlement.netting.position(of: payer), "seed \(seed) \(payer)")
                for payee in Self.ids where payee != payer {
                    let pair = try PartnerEconomics.trace(entries, payer: payer, payee: payee)
                    #expect(pair.totalMinor == PartnerEconomics.bilateralMinor(settlement.netting, payer: payer, payee: payee), "seed \(seed)")
                    let stated =
                        payer == "OP"
                        ? PartnerEconomics.bilateralMinor(statement: statement(payee), counterparty: payer, fromPayeeSide: true)
                        : PartnerEconomics.bilateralMinor(statement: statement(payer), counterparty: payee)
                    #expect(pair.totalMinor == stated, "seed \(seed) \(payer) -> \(payee)")
                    #expect(pair.lines.allSatisfy { $0.entry.payer != $0.entry.payee })
                }
            }
        }
    }

    @Test func clearingLinesAreNamedAndSigned() throws {
        let settlement = try CycleSettlement.settle(PartnerEconomicsTests.input())
        let lines = PartnerEconomics.traceEntries(settlement.economics, operatorId: "OP")
        #expect(
            lines == [
                TraceEntry(payer: "A", payee: "OP", amountMinor: 100, what: "cycle fee"),
                TraceEntry(payer: "A", payee: "OP", amountMinor: -12_000, what: "deposit drawn"),
                TraceEntry(payer: "C", payee: "OP", amountMinor: 250, what: "cycle fee"),
            ])
        let fromOperator = try PartnerEconomics.trace(lines, payer: "OP", payee: "A")
        #expect(fromOperator.lines.map(\.signedMinor) == [-100, 12_000])
        #expect(fromOperator.totalMinor == 11_900)
    }
}
