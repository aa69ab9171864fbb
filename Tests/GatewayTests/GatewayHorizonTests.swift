import Foundation
import Gateway
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing
import Worker

/// The idempotency horizon through the gateway (docs/design.md, "Bounded hot state"): the
/// gateway stamps `received_at_ms` on every request, a retry too, so the horizon counts
/// from the partner's `occurred_at_ms`. Until 2026-12-04 a transaction of any age sent
/// through the gateway was taken as new, an archived one's retry included.
@Suite struct GatewayHorizonTests {
    static let day: Int64 = 86_400_000

    func accrual(_ txn: String, occurredAt: Int64) -> [UInt8] {
        Array(
            """
            {"partner_id":"pharmacy","partner_txn_id":"\(txn)","member_id":"member-h","occurred_at_ms":\(occurredAt),\
            "accrual":{"amount_minor":10000,"currency":"EUR","category":"pharmacy"}}
            """.utf8)
    }

    @Test func theHorizonCountsFromTheOccurredTimeNotTheGatewaysStamp() async throws {
        let programme = try decodeEditedSample {
            $0["idempotency_horizon_days"] = 20
            $0["reversal_window_days"] = 20
        }.get()
        let harness = try await GatewayHarness(programme: programme)
        let pool = harness.startWorkers()
        let signer = try #require(harness.signers["pharmacy"])
        let now = RequestSigner.nowMilliseconds()
        // A barrier (cycles start at 1) on the member's partition, closed now: the log time.
        try harness.kafka.produce([("member-h", try Loyalty_V1_TransactionEnvelope.barrier(cycle: 1, closedAtMilliseconds: now).serializedBytes())])
        func send(_ txn: String, occurredAt: Int64) async throws -> GatewayHarness.Reply {
            let reply = try await harness.send(
                "POST", "/v1/transactions?wait=true&timeout_ms=30000", body: accrual(txn, occurredAt: occurredAt),
                contentType: "application/json", signer: signer)
            #expect(reply.status == 200, "\(reply.body)")
            return reply
        }
        let old = try await send("old", occurredAt: now - 30 * Self.day)
        #expect(old.json["status"] as? String == "REJECTED")
        #expect(old.json["reason"] as? String == "PAST_IDEMPOTENCY_HORIZON")
        #expect(
            (old.json["reason_detail"] as? String)?.hasPrefix(
                "occurred_at_ms: \(now - 30 * Self.day) is more than 20 days before the log time \(now)")
                == true)
        let recent = try await send("recent", occurredAt: now - Self.day)
        #expect(recent.json["status"] as? String == "ACCEPTED")
        let ahead = try await send("ahead", occurredAt: now + 400 * Self.day)
        #expect(ahead.json["reason"] as? String == "INVALID_FIELD")
        #expect((ahead.json["reason_detail"] as? String)?.contains("occurred_at_ms: \(now + 400 * Self.day) is more than 20 days after") == true)
        // Only the recent one moved points.
        let balance = try await harness.send("GET", "/v1/members/member-h/balance?timeout_ms=30000", signer: signer)
        #expect(balance.json["balance"] as? Int == recent.json["balance_after"] as? Int)
        #expect(recent.json["points_delta"] as? Int == 600)
        try await pool.stop()
        await harness.stop()
    }
}
