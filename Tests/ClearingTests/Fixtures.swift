import Basics
import Crypto
import Foundation
import Programme

@testable import Clearing

/// Shared inputs for the Clearing tests: a hand-worked cycle of four partners and the
/// operator, and helpers for temporary directories and random debt matrices.
enum Fixtures {
    static let operatorId = "OP"
    static let eur = Currency(code: "EUR", minorUnitExponent: 2)

    static let accounts: [ParticipantAccount] = [
        ParticipantAccount(id: "OP", name: "Coalition Operator", iban: "DE89370400440532013000", bic: "COBADEFFXXX"),
        ParticipantAccount(id: "A", name: "Apotheke Adler & Söhne", iban: "DE02120300000000202051", bic: "BYLADEM1001"),
        ParticipantAccount(id: "B", name: "Benzin <Nord>", iban: "DE02500105170137075030", bic: "INGDDEFFXXX"),
        ParticipantAccount(id: "C", name: "Cinema \"Central\"", iban: "DE88100900001234567892", bic: "BEVODEBB"),
        ParticipantAccount(id: "D", name: "D'Hotels", iban: "DE12500105170648489890", bic: "INGDDEFF"),
    ]

    /// Pair sums: A→B 900, B→C 300, C→A 200, A→OP 50, B→OP 30, D→A 400, D→C 150.
    /// Positions: A −350, B +570, C +250, D −550, OP +80. Gross 2030 over 7 obligations.
    static let debts: [DebtTotal] = [
        DebtTotal(payer: "A", payee: "B", amountMinor: 1000),
        DebtTotal(payer: "B", payee: "C", amountMinor: 300),
        DebtTotal(payer: "C", payee: "A", amountMinor: 200),
        DebtTotal(payer: "A", payee: "OP", amountMinor: 50),
        DebtTotal(payer: "B", payee: "OP", amountMinor: 30),
        DebtTotal(payer: "D", payee: "A", amountMinor: 400),
        DebtTotal(payer: "A", payee: "B", amountMinor: -100),  // cancel of an earlier cycle's redemption
        DebtTotal(payer: "C", payee: "D", amountMinor: -150),  // negative: D owes C
        DebtTotal(payer: "B", payee: "B", amountMinor: 500),  // self-debt: recorded, never settled
    ]

    static func input(
        cycle: Int64 = 1, debts: [DebtTotal] = Fixtures.debts, previousManifestSHA256: String? = nil,
        closedAtMilliseconds: Int64? = nil
    ) -> CycleSettlementInput {
        let closedAt = closedAtMilliseconds ?? (1_767_225_600_000 + (cycle - 1) * 86_400_000)
        return CycleSettlementInput(
            cycle: cycle, closedAtMilliseconds: closedAt,
            previousClosedAtMilliseconds: cycle == 1 ? 1_767_139_200_000 : closedAt - 86_400_000,
            currency: eur, operatorId: operatorId, accounts: accounts,
            partitions: [
                PartitionRange(partition: 1, firstOffset: 40, barrierOffset: 52, accepted: 9, rejected: 1, duplicates: 1, deadLetters: 1),
                PartitionRange(partition: 0, firstOffset: 100, barrierOffset: 110, accepted: 8, rejected: 2, duplicates: 0, deadLetters: 0),
            ],
            debts: debts,
            points: [
                PartnerPoints(partnerId: "A", issued: 1200, redeemed: 300, expired: 20, clawedBack: 5, feesMinor: 50),
                PartnerPoints(partnerId: "B", issued: 800, redeemed: 950, expired: 0, clawedBack: 0, feesMinor: 30),
            ],
            previousManifestSHA256: previousManifestSHA256)
    }

    /// A fixed key, so signatures in golden comparisons are stable.
    static var signingKey: Curve25519.Signing.PrivateKey { try! .init(rawRepresentation: [UInt8](repeating: 7, count: 32)) }
    static var foreignKey: Curve25519.Signing.PrivateKey { try! .init(rawRepresentation: [UInt8](repeating: 9, count: 32)) }

    static func temporaryDirectory(_ label: String = #function) -> String {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "clearing-tests-\(safe)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func read(_ directory: String, _ name: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: directory + "/" + name) ?? Data())
    }

    static func write(_ directory: String, _ name: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes))
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Random debts over `participantCount` ids (`OP` plus `P0001`…), with negatives and self-debts.
    static func randomDebts(participantCount: Int, entryCount: Int, seed: UInt64) -> (ids: [String], debts: [DebtTotal]) {
        var random = SplitMix64(seed: seed)
        let ids = ["OP"] + (1..<max(participantCount, 2)).map { "P" + String(format: "%04d", $0) }
        let debts = (0..<entryCount).map { _ in
            DebtTotal(
                payer: ids.randomElement(using: &random)!, payee: ids.randomElement(using: &random)!,
                amountMinor: Int64.random(in: -1_000_000...10_000_000, using: &random))
        }
        return (ids, debts)
    }

    /// The slow reference: positions by string-keyed sums of every entry.
    static func referencePositions(_ debts: [DebtTotal]) -> [String: Int64] {
        var positions: [String: Int64] = [:]
        for debt in debts where debt.payer != debt.payee {
            positions[debt.payer, default: 0] -= debt.amountMinor
            positions[debt.payee, default: 0] += debt.amountMinor
        }
        return positions
    }

    static func apply(_ instructions: [SettlementInstruction], to positions: [NetPosition]) -> [String: Int64] {
        var remaining = Dictionary(uniqueKeysWithValues: positions.map { ($0.participant, $0.amountMinor) })
        for instruction in instructions {
            remaining[instruction.payer, default: 0] += instruction.amountMinor
            remaining[instruction.payee, default: 0] -= instruction.amountMinor
        }
        return remaining
    }
}
