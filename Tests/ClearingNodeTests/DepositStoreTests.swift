import Clearing
import Foundation
import Programme
import Testing

@testable import ClearingNode

/// The clearing node's deposit state: top-ups recorded once per reference and taken by the
/// next cycle to close, deposits chained from cycle to cycle, and refuse-mode partners put
/// into (and, after a top-up, out of) the barrier's suspended list.
@Suite(.timeLimit(.minutes(10))) struct DepositStoreTests {
    /// The sample with fuel operator-funded on a deposit of 5,000 (frozen 1,000, refuse),
    /// cinema on-redemption with 3,000 (frozen 0, owe).
    static func programme() throws -> Programme {
        var object = try JSONSerialization.jsonObject(with: Data(Programme.sampleJSON.utf8)) as! [String: Any]
        var partners = object["partners"] as! [[String: Any]]
        partners[1]["funding_model"] = "operator_funded"
        partners[1]["deposit"] = ["amount_minor": 5_000, "frozen_minor": 1_000, "low_threshold_minor": 2_000, "when_exhausted": "refuse"]
        partners[2]["deposit"] = ["amount_minor": 3_000]
        partners[2]["fees"] = ["per_cycle_minor": 40]
        object["partners"] = partners
        return try Programme.decode(jsonData: try JSONSerialization.data(withJSONObject: object))
    }

    static func temporaryState() -> String {
        NSTemporaryDirectory() + "deposit-store-\(UUID().uuidString)/state.sqlite"
    }

    /// A settlement input for `cycle` where fuel's points are worth `fundedMinor` (and the
    /// ledger recorded that debt to the operator).
    static func input(cycle: Int64, fundedMinor: Int64, programme: Programme) -> CycleSettlementInput {
        var input = CycleSettlementInput(
            cycle: cycle, closedAtMilliseconds: 1_000_000 + cycle * 1_000,
            previousClosedAtMilliseconds: cycle == 1 ? 0 : 1_000_000 + (cycle - 1) * 1_000,
            currency: Currency(code: "EUR", minorUnitExponent: 2), operatorId: programme.operatorId,
            accounts: [programme.operatorAccount]
                + programme.partners.map { ParticipantAccount(id: $0.id, name: $0.name, iban: $0.iban, bic: $0.bic) },
            partitions: [], debts: [DebtTotal(payer: "fuel", payee: "operator", amountMinor: fundedMinor)],
            points: [PartnerPoints(partnerId: "fuel", issued: fundedMinor, fundedMinor: fundedMinor)],
            previousManifestSHA256: cycle == 1 ? nil : String(repeating: "a", count: 64))
        input.accounts.sort { $0.id < $1.id }
        return input
    }

    @Test func topUpsAreRecordedOnceAndTakenByTheNextCycle() throws {
        let store = try ClearingStore(path: Self.temporaryState())
        defer { store.close() }
        #expect(try store.recordTopUp(partner: "fuel", amountMinor: 700, reference: "BANK-1") == .recorded(sequence: 1))
        #expect(try store.recordTopUp(partner: "fuel", amountMinor: 700, reference: "BANK-1") == .alreadyRecorded(cycle: nil))
        #expect(throws: ClearingNodeError.self) { try store.recordTopUp(partner: "fuel", amountMinor: 701, reference: "BANK-1") }
        #expect(throws: ClearingNodeError.self) { try store.recordTopUp(partner: "cinema", amountMinor: 700, reference: "BANK-1") }
        #expect(try store.waitingTopUps().map(\.topUp) == [DepositTopUp(reference: "BANK-1", amountMinor: 700)])
        _ = try store.openNextClosing(closedAtMilliseconds: 5, partitions: 1)
        #expect(try store.waitingTopUps().isEmpty)
        #expect(try store.topUps(cycle: 1, partner: "fuel") == [DepositTopUp(reference: "BANK-1", amountMinor: 700)])
        #expect(try store.recordTopUp(partner: "fuel", amountMinor: 700, reference: "BANK-1") == .alreadyRecorded(cycle: 1))
        #expect(try store.topUps(cycle: 2, partner: "fuel").isEmpty)
    }

    /// Cycle 1: fuel's 4,000 drawable pays 4,500 funded as far as it goes: 4,000 drawn, 500
    /// owed, closing 1,000 (= frozen): exhausted, so barrier 2 suspends fuel. A top-up of
    /// 2,500 recorded before cycle 3 closes lifts it at barrier 3, and cycle 3 opens at
    /// 1,000 + 2,500. Cinema pays its cycle fee every cycle, active or not.
    @Test func depositsChainAndRefuseModeSuspendsUntilATopUp() throws {
        let programme = try Self.programme()
        let store = try ClearingStore(path: Self.temporaryState())
        defer { store.close() }
        _ = try store.openNextClosing(closedAtMilliseconds: 5, partitions: 1)
        #expect(try store.accrualSuspended(1) == [])
        var input = Self.input(cycle: 1, fundedMinor: 4_500, programme: programme)
        try store.addEconomics(to: &input, programme: programme)
        #expect(input.deposits.map(\.openingMinor) == [3_000, 5_000])  // cinema, fuel
        let first = try CycleSettlement.settle(input)
        let fuel = try #require(first.economics.first { $0.partnerId == "fuel" }?.deposit)
        #expect(fuel.drawnMinor == 4_000 && fuel.uncoveredMinor == 500 && fuel.closingMinor == 1_000 && fuel.exhausted && fuel.low)
        #expect(first.netting.position(of: "fuel") == -500)
        #expect(first.netting.position(of: "cinema") == -40)
        #expect(first.netting.position(of: "operator") == 540)
        try store.recordDeposits(cycle: 1, first.economics)
        try store.recordDeposits(cycle: 1, first.economics)  // settling again replaces, never doubles

        _ = try store.openNextClosing(closedAtMilliseconds: 6, partitions: 1)
        #expect(try store.accrualSuspended(2) == ["fuel"])
        input = Self.input(cycle: 2, fundedMinor: 0, programme: programme)
        try store.addEconomics(to: &input, programme: programme)
        #expect(input.accrualSuspended == ["fuel"])
        #expect(input.deposits.first { $0.partnerId == "fuel" }?.openingMinor == 1_000)
        let second = try CycleSettlement.settle(input)
        #expect(second.economics.first { $0.partnerId == "fuel" }?.accrualsSuspended == true)
        try store.recordDeposits(cycle: 2, second.economics)

        #expect(try store.recordTopUp(partner: "fuel", amountMinor: 2_500, reference: "BANK-7") == .recorded(sequence: 1))
        _ = try store.openNextClosing(closedAtMilliseconds: 7, partitions: 1)
        #expect(try store.accrualSuspended(3) == [])
        input = Self.input(cycle: 3, fundedMinor: 1_000, programme: programme)
        try store.addEconomics(to: &input, programme: programme)
        let third = try CycleSettlement.settle(input)
        let topped = try #require(third.economics.first { $0.partnerId == "fuel" }?.deposit)
        #expect(topped.openingMinor == 1_000 && topped.toppedUpMinor == 2_500 && topped.drawnMinor == 1_000 && topped.closingMinor == 2_500)
        #expect(!topped.exhausted)
    }

    /// Fuel on a deposit of 10, all frozen, refuse mode; every step reopens the state file.
    @Test func topUpsAndSuspensionsSurviveAReopen() throws {
        let path = Self.temporaryState()
        let terms = PartnerTerms(
            partnerId: "fuel", fundingModel: .operatorFunded,
            deposit: Deposit(amountMinor: 10, frozenMinor: 10, whenExhausted: .refuse), pointValueMinor: 1)
        func economics(cycle: Int64, opening: Int64, funded: Int64, store: ClearingStore) throws -> [PartnerEconomics] {
            try PartnerEconomics.compute(
                terms: [terms], points: [PartnerPoints(partnerId: "fuel", fundedMinor: funded)],
                deposits: [DepositOpening(partnerId: "fuel", openingMinor: opening, topUps: try store.topUps(cycle: cycle, partner: "fuel"))],
                accrualSuspended: [], operatorId: "operator")
        }
        var store = try ClearingStore(path: path)
        _ = try store.recordTopUp(partner: "fuel", amountMinor: 9, reference: "R-9")
        store.close()
        store = try ClearingStore(path: path)
        #expect(try store.waitingTopUps().map(\.topUp.reference) == ["R-9"])
        _ = try store.openNextClosing(closedAtMilliseconds: 5, partitions: 1)
        #expect(try store.accrualSuspended(1) == [])
        // Cycle 1: 10 + 9 = 19, nothing issued: 9 left to draw.
        try store.recordDeposits(cycle: 1, try economics(cycle: 1, opening: 10, funded: 0, store: store))
        store.close()
        store = try ClearingStore(path: path)
        _ = try store.openNextClosing(closedAtMilliseconds: 6, partitions: 1)
        #expect(try store.accrualSuspended(2) == [])
        // Cycle 2: 50 issued, 9 drawn, 41 owed; closing 10 = frozen: the next barrier suspends fuel.
        let second = try economics(cycle: 2, opening: 19, funded: 50, store: store)
        #expect(second.first?.deposit?.drawnMinor == 9)
        try store.recordDeposits(cycle: 2, second)
        store.close()
        store = try ClearingStore(path: path)
        defer { store.close() }
        _ = try store.openNextClosing(closedAtMilliseconds: 7, partitions: 1)
        #expect(try store.accrualSuspended(3) == ["fuel"])
        #expect(try store.lastDeposits(before: 3).map(\.closingMinor) == [10])
    }

    @Test func topUpCommandChecksItsFields() throws {
        let programme = try Self.programme()
        let path = Self.temporaryState()
        let problems: [(String, Int64, String, String)] = [
            ("nobody", 5, "R1", "partner: nobody is not a partner"),
            ("pharmacy", 5, "R1", "partner: pharmacy has no deposit"),
            ("fuel", 0, "R1", "amount-minor: must be in 1...10^12"),
            ("fuel", 5, "R 1", "reference: must be 1-64"),
            ("fuel", 5, "", "reference: must be 1-64"),
        ]
        for (partner, amount, reference, message) in problems {
            let error = #expect(throws: ClearingNodeError.self) {
                try ClearingAdmin.recordTopUp(statePath: path, programme: programme, partner: partner, amountMinor: amount, reference: reference)
            }
            #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "")")
        }
        let result = try ClearingAdmin.recordTopUp(
            statePath: path, programme: programme, partner: "fuel", amountMinor: 5, reference: "2026/11/BANK-1")
        #expect(result == ClearingAdmin.TopUpResult(recorded: true, cycle: nil))
    }
}
