import Basics
import Crypto
import Foundation
import Programme
import SettlementFiles
import Testing

@testable import Clearing

/// Deposits, exposure, breakage by model and cycle fees at the clearing (docs/finance.md),
/// on the hand-worked cycle of `Fixtures` with a point worth 10 minor units.
///
/// - A, operator-funded: issued 1,200 points, so the ledger recorded A→OP 12,000 (funded).
///   Its deposit opens at 40,000 + top-up TU-1 2,000 = 42,000, frozen 15,000: drawable
///   27,000 pays the 12,000 in full; closing 30,000 (drawable 15,000 ≥ low 10,000). Cycle
///   fee 100. 2,500 points open = exposure 25,000 > cap 20,000: over the cap. Its 20
///   expired points (200) are the operator's breakage.
/// - B, on-redemption: deposit 8,000 (its first cycle: the programme's amount), frozen
///   2,000: drawable 6,000 against exposure 900 × 10 = 9,000: 3,000 uncovered, exhausted,
///   low (6,000 < 7,000). Nothing drawn.
/// - C, on-redemption without activity: owes its cycle fee 250 all the same.
/// - D has no terms: no economics, nothing added.
///
/// Positions: A −350 − 12,000 (funded) − 100 (fee) + 12,000 (deposit) = −450; B +570;
/// C +250 − 250 = 0; D −550; OP +80 + 12,000 + 100 − 12,000 + 250 = +430. Sum 0.
@Suite(.timeLimit(.minutes(10))) struct PartnerEconomicsTests {
    static let depositA = Deposit(amountMinor: 50_000, frozenMinor: 15_000, lowThresholdMinor: 10_000, whenExhausted: .refuse)
    static let depositB = Deposit(amountMinor: 8_000, frozenMinor: 2_000, lowThresholdMinor: 7_000, whenExhausted: .owe)

    static func input() -> CycleSettlementInput {
        var input = Fixtures.input(debts: Fixtures.debts + [DebtTotal(payer: "A", payee: "OP", amountMinor: 12_000)])
        input.points[0].fundedMinor = 12_000
        input.points[0].outstanding = 2_500
        input.points[1].outstanding = 900
        input.terms = [
            PartnerTerms(
                partnerId: "A", fundingModel: .operatorFunded, cycleFeeMinor: 100, deposit: depositA, exposureCapMinor: 20_000,
                pointValueMinor: 10),
            PartnerTerms(partnerId: "B", deposit: depositB, pointValueMinor: 10, redemptionPointValueMinor: 12),
            PartnerTerms(partnerId: "C", cycleFeeMinor: 250, pointValueMinor: 10),
        ]
        input.deposits = [DepositOpening(partnerId: "A", openingMinor: 40_000, topUps: [DepositTopUp(reference: "TU-1", amountMinor: 2_000)])]
        input.accrualSuspended = ["B"]
        return input
    }

    @Test func theHandWorkedCycle() throws {
        let settlement = try CycleSettlement.settle(Self.input())
        #expect(settlement.netting.positions.map(\.amountMinor).reduce(0, +) == 0)
        #expect(settlement.netting.position(of: "A") == -450)
        #expect(settlement.netting.position(of: "B") == 570)
        #expect(settlement.netting.position(of: "C") == 0)
        #expect(settlement.netting.position(of: "D") == -550)
        #expect(settlement.netting.position(of: "OP") == 430)

        let byId = Dictionary(uniqueKeysWithValues: settlement.economics.map { ($0.partnerId, $0) })
        #expect(settlement.economics.map(\.partnerId) == ["A", "B", "C"])
        let a = try #require(byId["A"])
        #expect(a.issuedValueMinor == 12_000)
        #expect(a.breakageValueMinor == 200)
        #expect(a.breakageKeeper == "OP")
        #expect(a.exposure == ExposureFigures(outstandingPoints: 2_500, valueMinor: 25_000, capMinor: 20_000, overCap: true))
        let depositA = try #require(a.deposit)
        #expect(depositA.toppedUpMinor == 2_000)
        #expect(depositA.drawnMinor == 12_000)
        #expect(depositA.closingMinor == 30_000)
        #expect(depositA.uncoveredMinor == 0)
        #expect(!depositA.low && !depositA.exhausted)
        #expect(
            a.clearingDebts(operatorId: "OP") == [
                DebtTotal(payer: "A", payee: "OP", amountMinor: 100), DebtTotal(payer: "A", payee: "OP", amountMinor: -12_000),
            ])

        let b = try #require(byId["B"])
        #expect(b.redeemedValueMinor == 950 * 12)
        #expect(b.breakageKeeper == "B")
        let depositB = try #require(b.deposit)
        #expect(depositB.openingMinor == 8_000)
        #expect(depositB.drawnMinor == 0)
        #expect(depositB.closingMinor == 8_000)
        #expect(depositB.uncoveredMinor == 3_000)
        #expect(depositB.low && depositB.exhausted)
        #expect(b.accrualsSuspended)
        #expect(!b.exposure.overCap)

        let c = try #require(byId["C"])
        #expect(c.cycleFeeMinor == 250)
        #expect(c.deposit == nil)
        #expect(c.clearingDebts(operatorId: "OP") == [DebtTotal(payer: "C", payee: "OP", amountMinor: 250)])
    }

    @Test func statementsAndManifestSayItAllAndVerify() throws {
        let directory = Fixtures.temporaryDirectory()
        try SettlementWriter.write(try CycleSettlement.settle(Self.input()), to: directory, signingKey: Fixtures.signingKey)
        let a = String(decoding: Fixtures.read(directory, "cycle-1-statement-A.csv"), as: UTF8.self)
        #expect(
            a.hasSuffix(
                """
                fees,,50,minor
                funding_model,,operator_funded,text
                value_issued,,12000,minor
                value_redeemed,,3000,minor
                breakage,OP,200,minor
                funded,,12000,minor
                fees_redemption,,0,minor
                fees_cycle,,100,minor
                deposit_opening,,40000,minor
                deposit_top_up,TU-1,2000,minor
                deposit_drawn,,12000,minor
                deposit_closing,,30000,minor
                deposit_frozen,,15000,minor
                deposit_uncovered,,0,minor
                deposit_when_exhausted,,refuse,text
                deposit_low,,0,flag
                deposit_exhausted,,0,flag
                accruals_suspended,,0,flag
                exposure_points,,2500,points
                exposure_value,,25000,minor
                exposure_cap,,20000,minor
                exposure_over_cap,,1,flag

                """))
        #expect(a.contains("net_position,,-450,minor\n"))
        let c = String(decoding: Fixtures.read(directory, "cycle-1-statement-C.csv"), as: UTF8.self)
        #expect(c.contains("payable,OP,250,minor\n"))
        #expect(c.contains("fees_cycle,,250,minor\n"))
        #expect(!c.contains("deposit_"))
        let d = String(decoding: Fixtures.read(directory, "cycle-1-statement-D.csv"), as: UTF8.self)
        #expect(!d.contains("funding_model"))

        let manifest = try JSONDecoder().decode(SettlementManifest.self, from: Data(Fixtures.read(directory, "cycle-1-manifest.json")))
        #expect(manifest.format == "loyalty-settlement-manifest/2")
        let economics = try #require(manifest.partner_economics)
        #expect(economics.keys.sorted() == ["A", "B", "C"])
        #expect(economics["B"]?.deposit?.uncovered_minor == 3_000)
        #expect(economics["B"]?.deposit?.accruals_suspended == 1)
        #expect(economics["A"]?.breakage.kept_by == "OP")
        let totals = try #require(manifest.economics_totals)
        #expect(totals.deposit_drawn_minor == 12_000)
        #expect(totals.cycle_fees_minor == 350)
        #expect(totals.breakage_kept_by_operator_minor == 200)
        #expect(totals.low_deposits == ["B"])
        #expect(totals.exhausted_deposits == ["B"])
        #expect(totals.accruals_suspended == ["B"])
        #expect(totals.over_exposure_cap == ["A"])
        #expect(manifest.economicsProblem() == nil)
        let report = try SettlementVerifier.verify(directory: directory, publicKey: Fixtures.signingKey.publicKey)
        #expect(report.cycles == [1])
    }

    @Test func aDepositThatDoesNotAddUpIsNamed() throws {
        let directory = Fixtures.temporaryDirectory()
        try SettlementWriter.write(try CycleSettlement.settle(Self.input()), to: directory, signingKey: Fixtures.signingKey)
        var manifest = try JSONDecoder().decode(SettlementManifest.self, from: Data(Fixtures.read(directory, "cycle-1-manifest.json")))
        manifest.partner_economics?["A"]?.deposit?.closing_minor = 31_000
        let problem = try #require(manifest.economicsProblem())
        #expect(problem.location == "partner_economics.A.deposit.closing_minor")
        #expect(problem.expected == "30000")
    }

    @Test func operatorFundedDepositRunsOutOweKeepsTheRestAsDebt() throws {
        // 4,000 drawable (5,000 − 1,000 frozen) against 6,500 funded: 4,000 drawn, 2,500 still owed.
        let deposit = Deposit(amountMinor: 5_000, frozenMinor: 1_000, lowThresholdMinor: 500, whenExhausted: .owe)
        let figures = try PartnerEconomics.deposit(
            deposit, model: .operatorFunded, opening: DepositOpening(partnerId: "A", openingMinor: 5_000), fundedMinor: 6_500,
            exposureValueMinor: 0)
        #expect(figures.drawnMinor == 4_000)
        #expect(figures.closingMinor == 1_000)
        #expect(figures.uncoveredMinor == 2_500)
        #expect(figures.exhausted && figures.low)
        // Owe mode never suspends; refuse mode suspends until a top-up restores a drawable part.
        #expect(
            !PartnerEconomics.suspendsAccruals(deposit, model: .operatorFunded, closingMinor: 1_000, pendingTopUpsMinor: 0, exposureValueMinor: 0))
        var refusing = deposit
        refusing.whenExhausted = .refuse
        #expect(
            PartnerEconomics.suspendsAccruals(refusing, model: .operatorFunded, closingMinor: 1_000, pendingTopUpsMinor: 0, exposureValueMinor: 0))
        #expect(
            !PartnerEconomics.suspendsAccruals(refusing, model: .operatorFunded, closingMinor: 1_000, pendingTopUpsMinor: 1, exposureValueMinor: 0))
        // On-redemption: suspended while the exposure exceeds the drawable part.
        #expect(
            PartnerEconomics.suspendsAccruals(refusing, model: .onRedemption, closingMinor: 5_000, pendingTopUpsMinor: 0, exposureValueMinor: 4_001))
        #expect(
            !PartnerEconomics.suspendsAccruals(refusing, model: .onRedemption, closingMinor: 5_000, pendingTopUpsMinor: 0, exposureValueMinor: 4_000))
        // A refund-heavy cycle (funded < 0) draws nothing: the refund is paid back as a debt.
        let refunds = try PartnerEconomics.deposit(
            deposit, model: .operatorFunded, opening: DepositOpening(partnerId: "A", openingMinor: 5_000), fundedMinor: -300,
            exposureValueMinor: 0)
        #expect(refunds.drawnMinor == 0 && refunds.closingMinor == 5_000)
    }

    @Test func badEconomicsInputIsRefusedWithTheField() throws {
        var input = Self.input()
        input.terms.append(PartnerTerms(partnerId: "Z", pointValueMinor: 10))
        #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        input = Self.input()
        input.deposits.append(DepositOpening(partnerId: "C", openingMinor: 5))
        let noDeposit = #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        #expect(noDeposit?.location == "deposits")
        input = Self.input()
        input.deposits[0].topUps.append(DepositTopUp(reference: "TU-2", amountMinor: 0))
        let zero = #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        #expect(zero?.location == "deposits.top_ups")
        input = Self.input()
        input.deposits[0].topUps.append(DepositTopUp(reference: "TU,2", amountMinor: 5))
        let comma = #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        #expect(comma?.location == "deposits.top_ups.reference")
        input = Self.input()
        input.accrualSuspended = ["C"]
        let suspended = #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        #expect(suspended?.location == "accrual_suspended")
    }

    /// Random cycles of issued value and top-ups, chained closing → opening, in both modes
    /// and both models: the deposit never ends a cycle below its frozen part, it draws no
    /// more than was owed, drawn + uncovered = what was owed, and the cycle nets to 0.
    @Test func depositsNeverGoBelowTheFrozenPart() async throws {
        var random = SplitMix64(seed: 14)
        for round in 0..<300 {
            if round % 50 == 0 { await Task.yield() }
            let amount = Int64.random(in: 0...100_000, using: &random)
            let frozen = Int64.random(in: 0...amount, using: &random)
            let mode: Deposit.WhenExhausted = random.below(2) == 0 ? .owe : .refuse
            let model: FundingModel = random.below(2) == 0 ? .operatorFunded : .onRedemption
            let deposit = Deposit(amountMinor: amount, frozenMinor: frozen, lowThresholdMinor: Int64(random.below(20_000)), whenExhausted: mode)
            var closing: Int64? = nil
            for cycle in 1...8 {
                let topUps = (0..<random.below(3)).map {
                    DepositTopUp(reference: "R\(cycle)-\($0)", amountMinor: Int64.random(in: 1...30_000, using: &random))
                }
                let funded = Int64.random(in: -2_000...40_000, using: &random)
                var input = Fixtures.input(
                    debts: Fixtures.debts + [DebtTotal(payer: "A", payee: "OP", amountMinor: model == .operatorFunded ? funded : 0)])
                input.points[0].fundedMinor = model == .operatorFunded ? funded : 0
                input.points[0].outstanding = Int64.random(in: 0...10_000, using: &random)
                input.terms = [PartnerTerms(partnerId: "A", fundingModel: model, cycleFeeMinor: 7, deposit: deposit, pointValueMinor: 3)]
                input.deposits = [DepositOpening(partnerId: "A", openingMinor: closing ?? amount, topUps: topUps)]
                let settlement = try CycleSettlement.settle(input)
                let figures = try #require(settlement.economics.first?.deposit)
                #expect(figures.closingMinor >= frozen, "round \(round) cycle \(cycle)")
                #expect(figures.drawnMinor >= 0 && figures.drawnMinor <= max(0, input.points[0].fundedMinor))
                if model == .operatorFunded { #expect(figures.drawnMinor + figures.uncoveredMinor == max(0, funded)) }
                if model == .onRedemption { #expect(figures.drawnMinor == 0) }
                #expect(figures.closingMinor == figures.openingMinor + figures.toppedUpMinor - figures.drawnMinor)
                #expect(settlement.netting.positions.map(\.amountMinor).reduce(0, +) == 0)
                // The operator's position moves by the fee minus what the deposit paid, nothing else.
                let plain = try CycleSettlement.settle(
                    {
                        var bare = input; bare.terms = []; bare.deposits = []; return bare
                    }())
                #expect(settlement.netting.position(of: "OP")! == plain.netting.position(of: "OP")! + 7 - figures.drawnMinor)
                closing = figures.closingMinor
            }
        }
    }
}
