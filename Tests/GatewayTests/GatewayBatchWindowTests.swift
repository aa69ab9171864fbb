import Foundation
import Gateway
import LoyaltyTesting
import Testing

@Suite("Batch endpoint with a small in-flight window", .timeLimit(.minutes(10)))
struct GatewayBatchWindowTests {
    @Test("a batch many times the window is answered completely, in order; refused lines unpublished")
    func manyTimesTheWindow() async throws {
        let harness = try await GatewayHarness { $0.maxBatchInFlight = 5 }
        let before = try harness.transactionsEnd()
        var lines: [[UInt8]] = []
        for i in 0..<300 {
            lines.append(
                i % 9 == 4
                    ? Array(#"{"partnerId":"fuel","partnerTxnId":"w-\#(i)","memberId":"m","occurredAtMs":"1","redemption":{"points":"0"}}"#.utf8)
                    : redemptionJSON(partner: "fuel", txn: "w-\(i)", member: "m-\(i % 17)", points: 1))
        }
        let body = Array(lines.joined(separator: [10]))
        let reply = try await harness.send(
            "POST", "/v1/transactions/batch", body: body, contentType: "application/x-ndjson", signer: harness.signers["fuel"])
        #expect(reply.status == 200)
        let statuses = reply.body.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
        #expect(statuses.count == 301)
        for (index, status) in statuses.dropLast().enumerated() {
            #expect(status["line"] as? Int == index + 1)
            #expect(status["status"] as? String == (index % 9 == 4 ? "invalid" : "accepted"), "line \(index + 1): \(status)")
        }
        let refused = (0..<300).filter { $0 % 9 == 4 }.count
        let summary = try #require(statuses.last?["summary"] as? [String: Any])
        #expect(summary["accepted"] as? Int == 300 - refused)
        #expect(summary["invalid"] as? Int == refused)
        #expect(summary["body_sha256"] as? String == "verified")
        #expect(try harness.transactionsEnd() == before + Int64(300 - refused))
        await harness.stop()
    }
}
