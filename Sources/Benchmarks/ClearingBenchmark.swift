import Basics
import Clearing
import Crypto
import Programme
import SettlementFiles

/// The workload behind `loyalty bench clearing`: net `participantCount` participants
/// (the operator included) from `entryCount` random gross debts and write all files.
/// Prints nothing; the caller reports the result.
public enum ClearingBenchmark {
    public static let operatorId = "OPERATOR"

    /// A reproducible cycle-1 input: ~2% negative entries (cancels), ~1% self-debts,
    /// amounts 1...1_000_000 minor units, EUR.
    public static func makeInput(participantCount: Int = 1000, entryCount: Int = 1_000_000, seed: UInt64 = 1) -> CycleSettlementInput {
        precondition(participantCount >= 2 && participantCount <= 99_999, "participantCount must be 2...99999")
        var random = SplitMix64(seed: seed)
        var ids = [operatorId]
        for number in 1..<participantCount { ids.append("P" + pad(number, 5)) }
        let accounts = ids.enumerated().map { offset, id in
            ParticipantAccount(
                id: id, name: id == operatorId ? "Coalition Operator" : "Partner \(id) & Co",
                iban: "DE" + pad(offset, 20), bic: "BANKDEFF")
        }
        var debts: [DebtTotal] = []
        debts.reserveCapacity(entryCount)
        for _ in 0..<entryCount {
            let payer = ids[Int.random(in: 0..<participantCount, using: &random)]
            let roll = Int.random(in: 0..<100, using: &random)
            let payee = roll == 0 ? payer : ids[Int.random(in: 0..<participantCount, using: &random)]
            var amountMinor = Int64.random(in: 1...1_000_000, using: &random)
            if roll <= 2 { amountMinor = -amountMinor }
            debts.append(DebtTotal(payer: payer, payee: payee, amountMinor: amountMinor))
        }
        let partitions = (0..<16).map {
            PartitionRange(
                partition: Int32($0), firstOffset: 0, barrierOffset: Int64(entryCount / 16),
                accepted: Int64(entryCount / 16), rejected: 0, duplicates: 0, deadLetters: 0)
        }
        let points = ids.dropFirst().map {
            PartnerPoints(partnerId: $0, issued: 1000, redeemed: 500, expired: 10, clawedBack: 5, feesMinor: 250)
        }
        return CycleSettlementInput(
            cycle: 1, closedAtMilliseconds: 1_767_225_600_000, previousClosedAtMilliseconds: 1_767_139_200_000,
            currency: Currency(code: "EUR", minorUnitExponent: 2), operatorId: operatorId, accounts: accounts,
            partitions: partitions, debts: debts, points: points, previousManifestSHA256: nil)
    }

    /// Settles `input` and writes its files into `directory`, timing both halves.
    public static func run(
        _ input: CycleSettlementInput, directory: String, signingKey: Curve25519.Signing.PrivateKey,
        mode: InstructionMode = .greedy
    ) throws(ClearingError) -> ClearingBenchmarkResult {
        let clock = ContinuousClock()
        let start = clock.now
        let settlement = try CycleSettlement.settle(input, mode: mode)
        let settled = clock.now
        let files = try SettlementWriter.write(settlement, to: directory, signingKey: signingKey)
        let written = clock.now
        return ClearingBenchmarkResult(
            participantCount: input.accounts.count, entryCount: input.debts.count,
            obligationCount: settlement.netting.obligations.count, instructionCount: settlement.instructions.count,
            bytesWritten: files.reduce(0) { $0 + $1.bytes.count },
            settleNanoseconds: nanoseconds(settled - start), writeNanoseconds: nanoseconds(written - settled))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
