import Clearing
import Programme

/// The checks a cycle must pass before anything is settled, and the settlement input
/// they produce. Pure: positions and the programme in, an input or a reason out. Built by
/// the node's loop (and the tests) with the synthesised initialiser.
///
/// Every figure is cross-checked against a second, independently kept figure of the
/// shards (the ledger keeps debts and partner statistics in separate tables), so a
/// shard that lost or doubled something is caught here, not by a partner's accountant.
public struct CycleCheck: Sendable {
    public let cycle: Int64
    public let closedAtMilliseconds: Int64
    public let partitions: Int32
    public let positions: [Int32: CyclePosition]
    /// Positions of the previous cycle (empty for cycle 1).
    public let previousPositions: [Int32: CyclePosition]
    public let previousClosedAtMilliseconds: Int64
    public let previousManifestSHA256: String?

    /// The first problem found, naming the partition or figure; nil when every check passes.
    public func problem(programme: Programme) -> String? {
        for partition in 0..<partitions {
            guard let position = positions[partition] else {
                return "no position from partition \(partition) yet"
            }
            if let problem = rangeProblem(partition, position) { return problem }
        }
        if let extra = positions.keys.first(where: { $0 < 0 || $0 >= partitions }) {
            return "position from partition \(extra), but the topic has \(partitions) partitions"
        }
        return figuresProblem(programme: programme)
    }

    private func rangeProblem(_ partition: Int32, _ position: CyclePosition) -> String? {
        let expectedFirst: Int64
        if cycle == 1 {
            expectedFirst = 0
        } else if let previous = previousPositions[partition] {
            expectedFirst = previous.barrierOffset + 1
        } else {
            return "partition \(partition): no position of cycle \(cycle - 1) to continue from"
        }
        guard position.cycle == cycle else {
            return "partition \(partition): position is for cycle \(position.cycle), expected \(cycle)"
        }
        guard position.firstOffset == expectedFirst else {
            return "partition \(partition): cycle \(cycle) starts at offset \(position.firstOffset), "
                + "but cycle \(cycle - 1) ended at \(expectedFirst - 1): offsets \(min(expectedFirst, position.firstOffset))..<\(max(expectedFirst, position.firstOffset)) are "
                + (position.firstOffset > expectedFirst ? "in no cycle" : "in two cycles")
        }
        guard position.barrierOffset >= position.firstOffset else {
            return "partition \(partition): barrier offset \(position.barrierOffset) before first offset \(position.firstOffset)"
        }
        let counts = [position.accepted, position.rejected, position.duplicates, position.deadLetters]
        guard counts.allSatisfy({ $0 >= 0 }) else {
            return "partition \(partition): negative transaction count"
        }
        let counted = counts.reduce(0, +)
        let span = position.barrierOffset - position.firstOffset
        guard counted <= span else {
            return "partition \(partition): \(counted) records counted, but the cycle spans only \(span) offsets"
        }
        return nil
    }

    private func figuresProblem(programme: Programme) -> String? {
        var feeDebts: [String: Int64] = [:]
        var redemptionDebts: [String: Int64] = [:]
        var fees: [String: Int64] = [:]
        var redeemed: [String: Int64] = [:]
        for position in positions.values {
            for debt in position.debts {
                if debt.payee == programme.operatorId {
                    feeDebts[debt.payer, default: 0] += debt.amountMinor
                } else {
                    redemptionDebts[debt.payee, default: 0] += debt.amountMinor
                }
                let known = { (id: String) in id == programme.operatorId || programme.partner(id) != nil }
                guard known(debt.payer), known(debt.payee) else {
                    return
                        "partition \(position.partition): debt \(debt.payer) -> \(debt.payee) names a participant not in programme \(programme.version)"
                }
            }
            for points in position.points {
                // Every debt a partner owes the operator: accrual and redemption fees, funded value.
                fees[points.partnerId, default: 0] += points.feesMinor + points.redemptionFeesMinor + points.fundedMinor
                redeemed[points.partnerId, default: 0] += points.redeemed
            }
        }
        for partner in programme.partners.map(\.id) {
            let fee = fees[partner] ?? 0
            guard fee == feeDebts[partner] ?? 0 else {
                return
                    "partner \(partner): fees in the shard statistics (\(fee)) differ from its fee debts to the operator (\(feeDebts[partner] ?? 0))"
            }
            // At the partner's settlement value (issuers owe the programme's, the operator the difference).
            let pointValue = programme.settlementPointValueMinor(partnerId: partner)
            let (value, overflow) = (redeemed[partner] ?? 0).multipliedReportingOverflow(by: pointValue)
            guard !overflow, value == redemptionDebts[partner] ?? 0 else {
                return
                    "partner \(partner): points redeemed at it (\(redeemed[partner] ?? 0) x \(pointValue)) differ from the debts owed to it (\(redemptionDebts[partner] ?? 0))"
            }
        }
        return nil
    }

    /// The settlement input for a cycle that passed `problem(programme:)`.
    public func settlementInput(programme: Programme) -> CycleSettlementInput {
        let ordered = positions.keys.sorted().map { positions[$0]! }
        let accounts =
            [programme.operatorAccount]
            + programme.partners.map {
                ParticipantAccount(id: $0.id, name: $0.name, iban: $0.iban, bic: $0.bic)
            }
        return CycleSettlementInput(
            cycle: cycle,
            closedAtMilliseconds: closedAtMilliseconds,
            previousClosedAtMilliseconds: previousClosedAtMilliseconds,
            currency: Currency(code: programme.currency, minorUnitExponent: programme.currencyExponent),
            operatorId: programme.operatorId,
            accounts: accounts,
            partitions: ordered.map {
                PartitionRange(
                    partition: Int32($0.partition), firstOffset: $0.firstOffset, barrierOffset: $0.barrierOffset,
                    accepted: $0.accepted, rejected: $0.rejected, duplicates: $0.duplicates, deadLetters: $0.deadLetters
                )
            },
            debts: ordered.flatMap(\.debts),
            points: ordered.flatMap(\.points).summedByPartner(),
            previousManifestSHA256: previousManifestSHA256
        ).withConversions(ordered.flatMap(\.conversions)).withProgrammeVersions(ordered.flatMap(\.programmeVersions))
    }
}
