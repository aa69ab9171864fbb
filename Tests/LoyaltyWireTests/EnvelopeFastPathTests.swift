import Foundation
import LoyaltyTesting
import Programme
import Simulation
import SwiftProtobuf
import Testing

@testable import LoyaltyWire

/// Whenever the fast path answers, it answers what `InboundMessage.decode` (swift-protobuf
/// plus the structural checks) answers; everything unusual is left to the latter.
@Suite(.timeLimit(.minutes(10)))
struct EnvelopeFastPathTests {
    private static func envelopes() throws -> [[UInt8]] {
        var envelopes: [Loyalty_V1_TransactionEnvelope] = []
        var settings = SyntheticCoalition.Settings()
        settings.transactions = 3_000
        settings.members = 200
        settings.invalidPerMille = 50
        for (index, transaction) in SyntheticCoalition(programme: .sample, settings: settings).enumerated() {
            var envelope = Loyalty_V1_TransactionEnvelope(transaction, traceId: index % 3 == 0 ? "trace-\(index)" : "")
            if index % 5 == 0 { envelope.receivedAtMs = transaction.eventTimeMilliseconds + 7 }
            if index % 7 == 0 { envelope.occurredAtMs = -5 }
            // The programme rules' optional fields (issue 13), valid and not.
            if index % 11 == 0 { envelope.cardID = index % 44 == 0 ? "card with space" : "card-\(index)" }
            if index % 3 == 1, case .accrual? = envelope.body {
                envelope.accrual.visits = Int64(index % 13 == 0 ? 20_000 : index % 4)
                envelope.accrual.nights = Int64(index % 3)
                envelope.accrual.product = index % 17 == 0 ? "Lens!" : "lens"
                if index % 2 == 0 { envelope.accrual.referralCode = "m-000001" }
                envelope.accrual.retroClaim = index % 10 == 1
            }
            if index % 2 == 1, case .redemption? = envelope.body {
                envelope.redemption.billAmountMinor = index % 9 == 0 ? -1 : Int64(index)
                envelope.redemption.rewardID = index % 4 == 1 ? "free-night" : ""
            }
            envelopes.append(envelope)
        }
        // The rare kinds and faults, for the slow path.
        envelopes.append(
            .with {
                $0.barrier = .with {
                    $0.cycle = 3; $0.closedAtMs = 99
                }
            })
        envelopes.append(
            .with {
                $0.partnerID = "fuel"; $0.partnerTxnID = "q"; $0.memberID = "m"; $0.inquiry = .init()
            })
        envelopes.append(
            .with {
                $0.partnerID = "fuel"; $0.partnerTxnID = "q"; $0.memberID = "m"; $0.occurredAtMs = 1
            })
        envelopes.append(
            .with {
                $0.partnerID = String(repeating: "p", count: 129); $0.partnerTxnID = "q"; $0.memberID = "m"; $0.occurredAtMs = 1;
                $0.redemption = .with { $0.points = 1 }
            })
        envelopes.append(
            .with {
                $0.partnerID = "fuel"; $0.partnerTxnID = "q"; $0.memberID = "ü"; $0.occurredAtMs = 1; $0.reversal = .with { $0.kind = .cancel }
            })
        envelopes.append(
            .with {
                $0.partnerID = "fuel"; $0.partnerTxnID = "q"; $0.memberID = "m"; $0.occurredAtMs = 1;
                $0.reversal = .with { $0.originalPartnerTxnID = "o" }
            })
        envelopes.append(
            .with {
                $0.partnerID = "fuel"; $0.partnerTxnID = "q"; $0.memberID = "m"; $0.occurredAtMs = 1; $0.accrual = .init()
            })
        envelopes += try Self.limitBreaking().map { try Loyalty_V1_TransactionEnvelope(serializedBytes: $0.bytes) }
        return try envelopes.map { try $0.serializedBytes() }
    }

    /// Otherwise valid records that break one of `FieldLimits` each, with the field the
    /// reason must name.
    static func limitBreaking() throws -> [(bytes: [UInt8], field: String)] {
        func refund(original: String, currency: String) -> Loyalty_V1_TransactionEnvelope {
            accrual {
                $0.reversal = .with {
                    $0.kind = .refund
                    $0.originalPartnerTxnID = original
                    $0.amountMinor = 1
                    $0.currency = currency
                }
            }
        }
        func accrual(_ change: (inout Loyalty_V1_TransactionEnvelope) -> Void) -> Loyalty_V1_TransactionEnvelope {
            var envelope = Loyalty_V1_TransactionEnvelope.with {
                $0.partnerID = "fuel"
                $0.partnerTxnID = "t-1"
                $0.memberID = "m-1"
                $0.occurredAtMs = 1
                $0.accrual = .with {
                    $0.amountMinor = 100
                    $0.currency = "EUR"
                    $0.category = "fuel"
                }
            }
            change(&envelope)
            return envelope
        }
        let cases: [(Loyalty_V1_TransactionEnvelope, String)] = [
            (accrual { $0.memberID = String(repeating: "m", count: FieldLimits.maxIdBytes + 1) }, "member_id"),
            (accrual { $0.partnerTxnID = "t\u{0}1" }, "partner_txn_id"),
            (accrual { $0.partnerTxnID = "t 1" }, "partner_txn_id"),
            (accrual { $0.memberID = "m\n1" }, "member_id"),
            (accrual { $0.partnerID = "fü" }, "partner_id"),
            (accrual { $0.traceID = String(repeating: "t", count: FieldLimits.maxTraceIdBytes + 1) }, "trace_id"),
            (accrual { $0.traceID = "a\tb" }, "trace_id"),
            (accrual { $0.accrual.currency = "EURO" }, "accrual.currency"),
            (accrual { $0.accrual.currency = "eur" }, "accrual.currency"),
            (accrual { $0.accrual.category = String(repeating: "c", count: FieldLimits.maxCategoryBytes + 1) }, "accrual.category"),
            (accrual { $0.accrual.category = "fuel\u{7F}" }, "accrual.category"),
            (refund(original: "o\r", currency: "EUR"), "reversal.original_partner_txn_id"),
            (refund(original: "o", currency: "E"), "reversal.currency"),
            (
                accrual {
                    $0.accrual = .init()
                    $0.redemption = .with { $0.points = 1 }
                    $0.traceID = String(repeating: "t", count: 100_000)
                }, "trace_id"
            ),
        ]
        return try cases.map { (try $0.0.serializedBytes(), $0.1) }
    }

    private func check(_ bytes: [UInt8]) -> Bool {
        guard let fast = EnvelopeFastPath.decode(bytes) else { return false }
        let slow = InboundMessage.decode(bytes, fastPath: false)
        #expect(slow == .success(fast), "\(bytes)")
        return true
    }

    @Test func wellFormedRecordsTakeTheFastPathAndAgree() throws {
        var fast = 0
        let all = try Self.envelopes()
        for bytes in all where check(bytes) { fast += 1 }
        // Valid accruals, redemptions and reversals are most of them.
        #expect(fast > all.count * 3 / 4)
    }

    @Test func recordsBreakingAFieldLimitTakeTheSlowPathWhichNamesTheField() throws {
        for (bytes, field) in try Self.limitBreaking() {
            #expect(EnvelopeFastPath.decode(bytes) == nil, "\(field)")
            guard case .failure(let error) = InboundMessage.decode(bytes, fastPath: false) else {
                Issue.record("\(field): accepted")
                continue
            }
            #expect(error.field == field)
        }
    }

    @Test(.seeded(2)) func mutatedRecordsAgreeOrTakeTheSlowPath() throws {
        var random = TestSeed.generator()
        let all = try Self.envelopes()
        for original in all {
            for _ in 0..<8 {
                var bytes = original
                switch Int.random(in: 0..<5, using: &random) {
                case 0 where !bytes.isEmpty:
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1 where !bytes.isEmpty:
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
                case 2:
                    bytes += [0x0A, 0x03, 0x66, 0x6F, 0x6F]  // partner_id again: last one wins
                case 3:
                    bytes += [0xF8, 0x01, 0x01]  // an unknown field 31
                default:
                    bytes.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
                }
                _ = check(bytes)
            }
        }
    }

    @Test func unusualButValidEncodingsAgree() throws {
        // A non-minimal varint, an explicit empty string, a negative amount (10-byte varint),
        // invalid UTF-8, and an empty record.
        let base: [UInt8] = [0x0A, 0x04] + Array("fuel".utf8) + [0x12, 0x01, 0x74] + [0x1A, 0x01, 0x6D]
        let cases: [[UInt8]] = [
            base + [0x20, 0x81, 0x80, 0x00] + [0x5A, 0x02, 0x08, 0x05],
            base + [0x20, 0x01, 0x32, 0x00] + [0x5A, 0x02, 0x08, 0x05],
            base + [0x20, 0x01] + [0x52, 0x0B, 0x08] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            base + [0x20, 0x01, 0x32, 0x02, 0xC3, 0x28] + [0x5A, 0x02, 0x08, 0x05],
            base + [0x20, 0x01] + [0x5A, 0x02, 0x08, 0x05] + [0x52, 0x00],
            [],
        ]
        for bytes in cases { _ = check(bytes) }
        #expect(check(cases[0]) && check(cases[1]) && check(cases[2]))
    }
}
