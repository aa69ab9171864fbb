import Programme
import SwiftProtobuf

/// The one conversion between the domain `CyclePosition` and its wire form: the worker
/// publishes positions with `init(_:)`, the clearing node reads them back with
/// `CyclePosition(_:)`, and neither side's checks touch generated types.
extension Loyalty_V1_ShardPosition {
    public init(_ position: CyclePosition) {
        self.init()
        cycle = position.cycle
        partition = Int32(position.partition)
        firstOffset = position.firstOffset
        barrierOffset = position.barrierOffset
        closedAtMs = position.closedAtMilliseconds
        accepted = position.accepted
        rejected = position.rejected
        duplicates = position.duplicates
        deadLetters = position.deadLetters
        debts = position.debts.map { debt in
            .with {
                $0.payer = debt.payer
                $0.payee = debt.payee
                $0.amountMinor = debt.amountMinor
            }
        }
        points = position.points.map { points in
            .with {
                $0.partnerID = points.partnerId
                $0.issued = points.issued
                $0.redeemed = points.redeemed
                $0.expired = points.expired
                $0.clawedBack = points.clawedBack
                $0.feesMinor = points.feesMinor
                $0.promoted = points.promoted
                $0.outstanding = points.outstanding
                $0.redemptionFeesMinor = points.redemptionFeesMinor
                $0.fundedMinor = points.fundedMinor
            }
        }
        ledgerDigest = position.ledgerDigest
        conversions = position.conversions.map { c in
            .with {
                $0.partnerID = c.partnerId
                $0.partnerTxnID = c.partnerTxnId
                $0.memberID = c.memberId
                $0.externalMemberID = c.externalMemberId
                $0.points = c.points
                $0.miles = c.miles
                $0.offset = c.offset
            }
        }
        programmeVersions = position.programmeVersions
    }
}

extension CyclePosition {
    /// The position a shard published; order of debts and points as sent.
    public init(_ wire: Loyalty_V1_ShardPosition) {
        self.init(
            cycle: wire.cycle, partition: Int64(wire.partition), firstOffset: wire.firstOffset,
            barrierOffset: wire.barrierOffset, closedAtMilliseconds: wire.closedAtMs, accepted: wire.accepted,
            rejected: wire.rejected, duplicates: wire.duplicates, deadLetters: wire.deadLetters,
            debts: wire.debts.map { DebtTotal(payer: $0.payer, payee: $0.payee, amountMinor: $0.amountMinor) },
            points: wire.points.map {
                PartnerPoints(
                    partnerId: $0.partnerID, issued: $0.issued, redeemed: $0.redeemed, expired: $0.expired,
                    clawedBack: $0.clawedBack, feesMinor: $0.feesMinor, promoted: $0.promoted, outstanding: $0.outstanding,
                    redemptionFeesMinor: $0.redemptionFeesMinor, fundedMinor: $0.fundedMinor)
            },
            ledgerDigest: wire.ledgerDigest,
            conversions: wire.conversions.map {
                Conversion(
                    partnerId: $0.partnerID, partnerTxnId: $0.partnerTxnID, memberId: $0.memberID,
                    externalMemberId: $0.externalMemberID, points: $0.points, miles: $0.miles, offset: $0.offset)
            },
            programmeVersions: wire.programmeVersions)
    }
}
