import Foundation
import HTTPTypes
import LoyaltyWire
import Programme
import Testing

@testable import Gateway

/// The edge's pieces under hostile input, without a server: header arithmetic, the replay
/// cache's per-partner bound, the quotas, strict JSON, metric labels.
@Suite("Gateway edge units", .timeLimit(.minutes(10)))
struct EdgeUnitTests {
    static let credentials = try! PartnerCredentials([
        "pharmacy": [.init(keyId: "pharmacy-k1", secret: "pharmacy-secret-0123456789")],
        "fuel": [.init(keyId: "fuel-k1", secret: "fuel-secret-0123456789abcdef")],
    ])

    func authenticator(capacityPerPartner: Int = 100) -> RequestAuthenticator {
        RequestAuthenticator(
            credentials: Self.credentials, windowMilliseconds: 300_000,
            replayCache: ReplayCache(windowMilliseconds: 300_000, capacityPerPartner: capacityPerPartner))
    }

    func headers(keyId: String = "pharmacy-k1", timestamp: String, signature: String = String(repeating: "a", count: 64)) -> HTTPFields {
        var fields = HTTPFields()
        fields[HTTPField.Name(RequestSigner.keyIdHeader)!] = keyId
        fields[HTTPField.Name(RequestSigner.timestampHeader)!] = timestamp
        fields[HTTPField.Name(RequestSigner.signatureHeader)!] = signature
        return fields
    }

    @Test("timestamps at and beyond Int64's ends are refused 401 naming the header, never a trap")
    func timestampExtremes() {
        let now: Int64 = 1_790_000_000_000
        for text in [
            String(Int64.min), String(Int64.max), "-9223372036854775807", "9223372036854775808", "-1", "0", "99999999999999999999999",
            "1e12", "+1790000000000x", "", String(repeating: "9", count: 5_000),
        ] {
            do throws(EdgeError) {
                _ = try authenticator().identify(headers: headers(timestamp: text), nowMilliseconds: now)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.status == .unauthorized)
                #expect(error.field == RequestSigner.timestampHeader, "\(text): \(error.field)")
            }
        }
        // The window arithmetic itself, at the ends.
        #expect(!RequestAuthenticator.withinWindow(.min, now: now, window: 300_000))
        #expect(!RequestAuthenticator.withinWindow(.max, now: now, window: 300_000))
        #expect(!RequestAuthenticator.withinWindow(.max, now: .min, window: .max))
        #expect(!RequestAuthenticator.withinWindow(0, now: .min, window: .max))
        #expect(RequestAuthenticator.withinWindow(now - 300_000, now: now, window: 300_000))
        #expect(!RequestAuthenticator.withinWindow(now - 300_001, now: now, window: 300_000))
    }

    @Test("key id and signature headers: oversized, unknown, malformed are 401 naming the header")
    func headerShapes() {
        let now = RequestSigner.nowMilliseconds()
        let cases: [(HTTPFields, String)] = [
            (headers(keyId: String(repeating: "k", count: 10_000), timestamp: String(now)), RequestSigner.keyIdHeader),
            (headers(timestamp: String(now), signature: "zz"), RequestSigner.signatureHeader),
            (headers(timestamp: String(now), signature: String(repeating: "g", count: 64)), RequestSigner.signatureHeader),
            (headers(timestamp: String(now), signature: String(repeating: "a", count: 65)), RequestSigner.signatureHeader),
        ]
        for (fields, field) in cases {
            do throws(EdgeError) {
                _ = try authenticator().identify(headers: fields, nowMilliseconds: now)
                Issue.record("accepted \(fields)")
            } catch {
                #expect(error.status == .unauthorized && error.field == field, "\(error)")
            }
        }
    }

    @Test("the replay cache is bounded per partner: one partner filling its share never refuses another")
    func replayPerPartner() {
        let cache = ReplayCache(windowMilliseconds: 1_000, capacityPerPartner: 3)
        func signature(_ i: Int) -> String { String(format: "%064x", i) }
        for i in 0..<3 { #expect(cache.insert(signature(i), partner: "pharmacy", nowMilliseconds: 10) == .fresh) }
        #expect(cache.insert(signature(99), partner: "pharmacy", nowMilliseconds: 10) == .full)
        #expect(cache.insert(signature(1), partner: "pharmacy", nowMilliseconds: 10) == .replay)
        // Another partner: its own share, even for the same signature text.
        #expect(cache.insert(signature(99), partner: "fuel", nowMilliseconds: 10) == .fresh)
        #expect(cache.insert(signature(0), partner: "fuel", nowMilliseconds: 10) == .fresh)
        // Entries go after 2 × window: the share frees up.
        #expect(cache.insert(signature(100), partner: "pharmacy", nowMilliseconds: 2_010) == .fresh)
        #expect(cache.count(partner: "pharmacy") == 1)
        #expect(cache.insert("not hex", partner: "pharmacy", nowMilliseconds: 2_010) == .replay)
    }

    @Test("token buckets: a burst, then the rate; partners apart; Retry-After in whole seconds")
    func quotas() {
        let quotas = PartnerQuotas(requests: .init(perSecond: 0.5, burst: 2), transactions: .init(perSecond: 0, burst: 0))
        #expect(quotas.take(.requests, partner: "pharmacy") == nil)
        #expect(quotas.take(.requests, partner: "pharmacy") == nil)
        let wait: Double? = quotas.take(.requests, partner: "pharmacy")
        #expect((wait ?? 0) > 1 && (wait ?? 0) <= 2, "the third within the burst of 2 waits for a token at 0.5/s")
        #expect(PartnerQuotas.retryAfterSeconds(wait ?? 0) == 2)
        #expect(quotas.take(.requests, partner: "fuel") == nil, "another partner's bucket is its own")
        #expect(quotas.take(.transactions, partner: "pharmacy", count: 1e9) == nil, "0 per second: unlimited")
        // A vanishing rate makes an enormous wait: Retry-After stays a day, never a trap.
        let slow = PartnerQuotas(requests: .init(perSecond: 1e-300, burst: 0), transactions: .init(perSecond: 0, burst: 0))
        _ = slow.take(.requests, partner: "pharmacy")
        let forever = slow.take(.requests, partner: "pharmacy") ?? 0
        #expect(PartnerQuotas.retryAfterSeconds(forever) == 86_400)
        #expect(PartnerQuotas.retryAfterSeconds(.infinity) == 86_400)
    }

    /// The JSON edge cases of issue 9 item 8, each refused 400 naming the field, with and without the fast path.
    @Test("JSON leniency: fractions, exponents, duplicate keys, control characters are refused naming the field")
    func strictJSON() {
        let validator = EdgeValidator(programme: .sample)
        let head = #""partnerId":"pharmacy","partnerTxnId":"t-1","memberId":"m-1","occurredAtMs":"1790000000000""#
        let cases: [(String, String)] = [
            (#"{\#(head),"accrual":{"amountMinor":999.99999999999999999,"currency":"EUR"}}"#, "accrual.amount_minor"),
            (#"{\#(head),"accrual":{"amountMinor":1e3,"currency":"EUR"}}"#, "accrual.amount_minor"),
            (#"{\#(head),"accrual":{"amountMinor":"1e3","currency":"EUR"}}"#, "accrual.amount_minor"),
            (#"{\#(head),"accrual":{"amountMinor":1000.0,"currency":"EUR"}}"#, "accrual.amount_minor"),
            (#"{\#(head),"redemption":{"points":-0.5}}"#, "redemption.points"),
            (#"{\#(head),"accrual":{"amountMinor":10,"amount_minor":20,"currency":"EUR"}}"#, "accrual.amount_minor"),
            (#"{\#(head),"partner_id":"pharmacy","accrual":{"amountMinor":10,"currency":"EUR"}}"#, "partner_id"),
            (#"{\#(head),"memberId":"m-2","accrual":{"amountMinor":10,"currency":"EUR"}}"#, "member_id"),
            (
                #"{"partnerId":"pharmacy","partnerTxnId":"t-1","memberId":"m\u0000","occurredAtMs":"1","accrual":{"amountMinor":10,"currency":"EUR"}}"#,
                "member_id"
            ),
            (
                #"{"partnerId":"pharmacy","partnerTxnId":"t\u001f1","memberId":"m","occurredAtMs":"1","accrual":{"amountMinor":10,"currency":"EUR"}}"#,
                "partner_txn_id"
            ),
            (#"{\#(head),"accrual":{"amountMinor":10,"currency":"EUR","category":"a\u007fb"}}"#, "accrual.category"),
            (#"{\#(head),"occurredAtMs":"1","accrual":{"amountMinor":10,"currency":"EUR"}}"#, "occurred_at_ms"),
        ]
        for (json, field) in cases {
            for fastPath in [true, false] {
                do throws(EdgeError) {
                    let envelope = try validator.decode(Array(json.utf8), format: .json, fastPath: fastPath)
                    try validator.validate(envelope, authenticatedPartner: "pharmacy")
                    Issue.record("accepted (fast path \(fastPath)): \(json)")
                } catch {
                    #expect(error.status == .badRequest, "\(json)")
                    #expect(error.field == field, "\(json): \(error.field) \(error.reason)")
                }
            }
        }
        // The everyday integer spellings still pass.
        for amount in ["1000", "\"1000\""] {
            let json = #"{\#(head),"accrual":{"amountMinor":\#(amount),"currency":"EUR"}}"#
            #expect(throws: Never.self) { try validator.decode(Array(json.utf8), format: .json, fastPath: false) }
        }
    }

    @Test("metric label values never come from input")
    func metricLabels() {
        let metrics = GatewayMetrics()
        for i in 0..<200 {
            metrics.rejectedAtEdge(field: "colour-\(i)-\(UUID().uuidString)")
            metrics.request(route: "/v1/members/m-\(i)/balance", status: 400 + i)
        }
        metrics.rejectedAtEdge(field: "member_id")
        let text = metrics.text
        #expect(!text.contains("colour"))
        #expect(!text.contains("/v1/members/m-"))
        #expect(text.contains("field=\"other\""))
        #expect(text.contains("field=\"member_id\""))
        #expect(text.utf8.count < 32_000, "label sets stay small: \(text.utf8.count) bytes")
    }
}
