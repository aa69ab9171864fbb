import Basics
import Foundation
import HTTPTypes
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@testable import Gateway
@testable import LoyaltyWire

/// The batch endpoint's hand-written JSON decoder against SwiftProtobuf's (the reference):
/// whatever the fast path decodes must be exactly what the reference decodes, and the edge
/// verdict (accepted, or refused with status, field and reason) must be the same with and
/// without it, on the everyday shapes and on many random and malformed lines.
@Suite("NDJSON fast path = reference decoder", .timeLimit(.minutes(10)))
struct EnvelopeJSONFastPathTests {
    let validator = EdgeValidator(programme: .sample)

    /// The edge's verdict on one line: what would be published, or the refusal.
    enum Verdict: Equatable {
        case accepted([UInt8])
        case refused(status: Int, field: String, reason: String)
    }

    func verdict(_ bytes: [UInt8], fastPath: Bool) -> Verdict {
        do throws(EdgeError) {
            let envelope = try validator.decode(bytes, format: .json, fastPath: fastPath)
            try validator.validate(envelope, authenticatedPartner: "pharmacy")
            return .accepted((try? envelope.serializedBytes()) ?? [])
        } catch {
            return .refused(status: error.status.code, field: error.field, reason: error.reason)
        }
    }

    /// nil when equal; else what differs.
    func mismatch(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        if let fast = EnvelopeJSONFastPath.decode(bytes) {
            let reference: Loyalty_V1_TransactionEnvelope
            do throws(EdgeError) { reference = try validator.decode(bytes, format: .json, fastPath: false) } catch {
                return "fast path decoded what the reference refuses (\(error.field): \(error.reason)): \(text)"
            }
            if fast != reference { return "fast path decoded \(fast) but the reference \(reference): \(text)" }
            if (try? fast.serializedBytes()) != (try? reference.serializedBytes()) as [UInt8]? { return "serialized bytes differ: \(text)" }
        }
        let withFastPath = verdict(bytes, fastPath: true)
        let reference = verdict(bytes, fastPath: false)
        return withFastPath == reference ? nil : "verdict \(withFastPath) but the reference's is \(reference): \(text)"
    }

    @Test("the everyday shapes take the fast path and decode as the reference does")
    func everydayShapes() throws {
        let lines = [
            #"{"partner_id":"pharmacy","partner_txn_id":"a-0-0-1","member_id":"bench-m-1","occurred_at_ms":1790000000000,"accrual":{"amount_minor":10000,"currency":"EUR","category":"pharmacy"}}"#,
            #"{"partnerId":"pharmacy","partnerTxnId":"t-1","memberId":"member-42","occurredAtMs":"1790000000000","accrual":{"amountMinor":"10000","currency":"EUR","category":"pharmacy"}}"#,
            #"{"partner_id":"pharmacy","partner_txn_id":"r-1","member_id":"m","occurred_at_ms":1790000000000,"redemption":{"points":1}}"#,
            #"{ "partner_id" : "pharmacy", "partner_txn_id" : "f-1", "member_id" : "m", "occurred_at_ms" : 1, "trace_id" : "abc", "reversal" : { "kind" : "REFUND", "original_partner_txn_id" : "t-1", "amount_minor" : 500, "currency" : "EUR" } }"#,
            "{\"partnerId\":\"pharmacy\",\"partnerTxnId\":\"c-1\",\"memberId\":\"m\",\"occurredAtMs\":1,\"reversal\":{\"kind\":\"CANCEL\",\"originalPartnerTxnId\":\"r-1\"}}\r",
            #"{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":1,"accrual":{}}"#,
            #"{}"#,
            #"{"partner_id":"fuel","partner_txn_id":"x","member_id":"m","occurred_at_ms":0,"received_at_ms":5,"accrual":{"amount_minor":0,"currency":"USD"}}"#,
        ]
        for line in lines {
            let bytes = Array(line.utf8)
            #expect(EnvelopeJSONFastPath.decode(bytes) != nil, "not on the fast path: \(line)")
            #expect(mismatch(bytes) == nil, "\(mismatch(bytes) ?? "")")
        }
    }

    @Test("outside the subset the fast path declines and the reference answers")
    func declines() throws {
        let lines = [
            #"{"partner_id":"pharmacy","colour":"red"}"#,  // unknown field: the reference names it
            #"{"partner_id":"ph\u0061rmacy"}"#,  // escape
            #"{"partner_id":"pharmacy","partner_id":"pharmacy"}"#,  // repeated key
            #"{"partnerId":"pharmacy","partner_id":"pharmacy"}"#,  // the same field twice by both names
            #"{"occurred_at_ms":1e3}"#, #"{"occurred_at_ms":-1}"#, #"{"occurred_at_ms":007}"#, #"{"occurred_at_ms":"1.0"}"#,
            #"{"occurred_at_ms":1234567890123456789}"#, #"{"occurred_at_ms":null}"#, #"{"trace_id":"é"}"#,
            #"{"accrual":{},"redemption":{}}"#, #"{"barrier":{"cycle":1}}"#, #"{"inquiry":{}}"#,
            #"{"reversal":{"kind":1}}"#, #"{"reversal":{"kind":"SOMETHING"}}"#,
            #"{"partner_id":"pharmacy"} x"#, #"{"partner_id":"pharmacy""#, #"{"partner_id":"pharmacy",}"#, #"[]"#, "",
        ]
        for line in lines {
            let bytes = Array(line.utf8)
            #expect(EnvelopeJSONFastPath.decode(bytes) == nil, "should decline: \(line)")
            #expect(mismatch(bytes) == nil, "\(mismatch(bytes) ?? "")")
        }
        let unknown = verdict(Array(#"{"partner_id":"pharmacy","colour":"red"}"#.utf8), fastPath: true)
        #expect(unknown == .refused(status: 400, field: "colour", reason: "unknown field"))
    }

    @Test("random and malformed lines: same envelope, same verdict, same field", arguments: [UInt64(1), 2, 3, 4])
    func randomLines(seed: UInt64) throws {
        var generator = EnvelopeLineGenerator(seed: seed)
        var failures: [String] = []
        var fastHits = 0
        var accepted = 0
        var samples: [String] = []
        let count = 5_000
        for index in 0..<count {
            let bytes = generator.line()
            if index < 5 { samples.append(String(decoding: bytes, as: UTF8.self)) }
            if EnvelopeJSONFastPath.decode(bytes) != nil { fastHits += 1 }
            if case .accepted = verdict(bytes, fastPath: false) { accepted += 1 }
            if let failure = mismatch(bytes) { failures.append(failure) }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(3))")
        #expect(Set(samples).count == samples.count, "the generator repeats itself: \(samples)")
        // The generator must exercise both decoders and both verdicts, or this test proves little.
        #expect(fastHits > count / 10, "fast path taken \(fastHits) times of \(count)")
        #expect(fastHits < count * 9 / 10, "fast path taken \(fastHits) times of \(count)")
        #expect(accepted > count / 50, "\(accepted) of \(count) accepted")
    }
}

/// Lines that look like proto3-JSON envelopes, spelled every way the reference decoder
/// accepts and many ways it does not, some then damaged byte by byte. Seeded: a failure
/// reproduces.
struct EnvelopeLineGenerator: RandomNumberGenerator {
    private var random: SplitMix64

    /// The seed is mixed first: seeds k × the SplitMix increment would otherwise be one
    /// sequence shifted by k steps.
    init(seed: UInt64) { random = SplitMix64(seed: (seed ^ 0x5851_F42D_4C95_7F2D) &* 0x2545_F491_4F6C_DD1D) }

    mutating func next() -> UInt64 { random.next() }

    private mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    private mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    private mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }

    mutating func line() -> [UInt8] {
        var bytes = Array(object().utf8)
        if chance(5) { bytes += Array(pick([" ", "\r", " x", "}", ",", "\n{}"]).utf8) }
        if chance(20) {
            for _ in 0..<(1 + below(3)) { mutate(&bytes) }
        }
        return bytes
    }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let at = below(bytes.count)
        let alphabet = Array(#"{}[]:,"\ 0123456789-+.eE abcnulltrue"#.utf8) + [0x00, 0x09, 0x0b, 0x7f, 0xc3, 0xff]
        switch below(4) {
        case 0: bytes.remove(at: at)
        case 1: bytes.insert(pick(alphabet), at: at)
        case 2: bytes[at] = pick(alphabet)
        default: bytes.removeSubrange(at...)
        }
    }

    private mutating func space() -> String {
        chance(85) ? "" : (chance(95) ? pick([" ", "  ", "\t", "\r", "\n", " \r\n "]) : pick(["\u{0B}", "\u{A0}"]))
    }

    private mutating func key(_ snake: String, _ camel: String) -> String {
        switch below(100) {
        case 0: return #""\#(snake.uppercased())""#
        case 1: return #""\#(snake.replacingOccurrences(of: "_", with: "\\u005f"))""#
        case 2: return #""\#(snake) ""#
        default: return chance(50) ? #""\#(snake)""# : #""\#(camel)""#
        }
    }

    private mutating func text(_ everyday: [String]) -> String {
        switch below(150) {
        case 0: return "null"
        case 1: return #""with \"quote\" and \\ backslash""#
        case 2: return #""\u0041\u00e9\n""#
        case 3: return "\"Ünïcode ✓\""
        case 4: return "\"control\u{01}char\""
        case 5: return "\"" + String(repeating: "x", count: 129) + "\""
        case 6: return "\"\""
        case 7: return "5"
        case 8: return #""unterminated"#
        default: return "\"" + pick(everyday) + "\""
        }
    }

    private mutating func integer(_ everyday: [Int64]) -> String {
        switch below(200) {
        case 0: return "null"
        case 1: return "-" + String(pick(everyday))
        case 2: return "1e3"
        case 3: return "1.0"
        case 4: return "1.5"
        case 5: return "007"
        case 6: return "-0"
        case 7: return "+5"
        case 8: return "9223372036854775807"
        case 9: return "9223372036854775808"
        case 10: return "123456789012345678"
        case 11: return "1234567890123456789"
        case 12: return #""\u0031""#
        case 13: return #"" 5""#
        case 14: return #""5"#
        case 15: return "true"
        case 16: return "0"
        case 17: return #""0""#
        default:
            let value = String(pick(everyday))
            return chance(50) ? value : "\"" + value + "\""
        }
    }

    private mutating func members(_ fields: [String]) -> String {
        var fields = fields
        fields.shuffle(using: &self)
        if chance(5), let first = fields.first { fields.append(first) }
        if chance(4) { fields.append(#""colour":"red""#) }
        var out = "{" + space()
        for (index, field) in fields.enumerated() {
            if index > 0 { out += space() + "," + space() }
            out += field
        }
        if chance(2) { out += "," }
        return out + space() + (chance(2) ? "" : "}")
    }

    private mutating func field(_ snake: String, _ camel: String, _ value: String) -> String {
        key(snake, camel) + space() + ":" + space() + value
    }

    private mutating func object() -> String {
        if chance(2) { return pick(["[]", "null", "\"text\"", "", "{", "5"]) }
        var fields: [String] = []
        if chance(95) { fields.append(field("partner_id", "partnerId", text(["pharmacy", "pharmacy", "pharmacy", "pharmacy", "fuel", "nobody"]))) }
        if chance(95) { fields.append(field("partner_txn_id", "partnerTxnId", text(["t-1", "a-0-0-17", "r-9"]))) }
        if chance(95) { fields.append(field("member_id", "memberId", text(["m-1", "bench-m-42", "member-7"]))) }
        if chance(95) { fields.append(field("occurred_at_ms", "occurredAtMs", integer([1_790_000_000_000, 1_790_000_000_000, 1, 0]))) }
        if chance(10) { fields.append(field("received_at_ms", "receivedAtMs", integer([1_790_000_000_001, 0]))) }
        if chance(20) { fields.append(field("trace_id", "traceId", text(["trace-1", "0123456789abcdef0123456789abcdef"]))) }
        let bodies = chance(5) ? 2 : (chance(5) ? 0 : 1)
        for _ in 0..<bodies { fields.append(body()) }
        return members(fields)
    }

    private mutating func body() -> String {
        let amounts: [Int64] = [10_000, 10_000, 10_000, 1, 1_000_000_000_000, 1_000_000_000_001, 0]
        switch below(12) {
        case 0: return key("barrier", "barrier") + ":" + members([field("cycle", "cycle", integer([1, 0]))])
        case 1: return key("inquiry", "inquiry") + ":" + pick(["{}", "null", "5"])
        case 2: return key("accrual", "accrual") + ":" + pick(["null", "[]", "\"x\"", "{}"])
        case 3, 4:
            var fields: [String] = []
            if chance(90) {
                fields.append(field("kind", "kind", pick([#""REFUND""#, #""CANCEL""#, #""KIND_UNSPECIFIED""#, "1", "2", #""refund""#, "null"])))
            }
            if chance(90) { fields.append(field("original_partner_txn_id", "originalPartnerTxnId", text(["t-1", "r-9"]))) }
            if chance(60) { fields.append(field("amount_minor", "amountMinor", integer(amounts))) }
            if chance(60) { fields.append(field("currency", "currency", text(["EUR", "USD"]))) }
            return key("reversal", "reversal") + space() + ":" + space() + members(fields)
        case 5, 6, 7:
            return key("redemption", "redemption") + space() + ":" + space() + members([field("points", "points", integer(amounts))])
        default:
            var fields: [String] = []
            if chance(95) { fields.append(field("amount_minor", "amountMinor", integer(amounts))) }
            if chance(90) { fields.append(field("currency", "currency", text(["EUR", "EUR", "EUR", "USD", "eur"]))) }
            if chance(60) { fields.append(field("category", "category", text(["pharmacy", "fuel", ""]))) }
            return key("accrual", "accrual") + space() + ":" + space() + members(fields)
        }
    }
}
