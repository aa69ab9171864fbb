import ArgumentParser
import Foundation
import Kafka
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

@testable import loyalty

/// `loyalty produce FILE`: every line is checked against the structure and the programme
/// before anything is published; one bad line stops the whole file (exit status 1) unless
/// --skip-invalid, which publishes exactly the valid lines.
@Suite("loyalty produce", .timeLimit(.minutes(10)))
struct ProduceCommandTests {
    static func line(
        partner: String = "fuel", id: String, member: String = "m-1", occurredAt: String = "1767225600000",
        body: String = #""accrual":{"amount_minor":"4599","currency":"EUR","category":"fuel"}"#,
        extra: String = ""
    ) -> String {
        #"{"partner_id":"\#(partner)","partner_txn_id":"\#(id)","member_id":"\#(member)","occurred_at_ms":"\#(occurredAt)",\#(extra)\#(body)}"#
    }

    /// Line number (1-based) → the line; the valid ones end in `-ok`.
    static let file: [String] = [
        line(id: "ok-1-ok"),
        line(id: "neg", body: #""accrual":{"amount_minor":"-5","currency":"EUR"}"#),
        line(id: "usd", body: #""accrual":{"amount_minor":"100","currency":"USD"}"#),
        line(partner: "nobody", id: "who"),
        line(partner: "cinema", id: "r-ok", body: #""redemption":{"points":"100"}"#),
        line(partner: "cinema", id: "r0", body: #""redemption":{"points":"0"}"#),
        line(
            id: "refund-big",
            body: #""reversal":{"kind":"REFUND","original_partner_txn_id":"ok-1-ok","amount_minor":"1000000000001","currency":"EUR"}"#),
        line(id: "refund-cur", body: #""reversal":{"kind":"REFUND","original_partner_txn_id":"ok-1-ok","amount_minor":"10","currency":"eur"}"#),
        line(partner: "cinema", id: "cancel-amount", body: #""reversal":{"kind":"CANCEL","original_partner_txn_id":"r-ok","amount_minor":"10"}"#),
        line(id: "ok-1-ok"),  // line 10 repeats line 1
        line(id: "barrier", body: #""barrier":{"cycle":"1","closed_at_ms":"1"}"#),
        line(id: "inq", body: #""inquiry":{}"#),
        line(id: "stamped", extra: #""received_at_ms":"1767225600001","#),
        "{not json",
        line(id: "unknown", extra: #""colour":"red","#),
        line(id: "", body: #""redemption":{"points":"1"}"#),
        "",  // blank lines are skipped, but counted
        line(id: "odd-category-ok", body: #""accrual":{"amount_minor":"1","currency":"EUR","category":"anything at all"}"#),
        line(partner: "cinema", id: "c-ok", body: #""reversal":{"kind":"CANCEL","original_partner_txn_id":"r-ok"}"#),
        line(id: "seconds", occurredAt: "1767225600"),
        line(id: "microseconds", occurredAt: "1767225600000000"),
        // JSON SwiftProtobuf alone would accept and round or let the last key win.
        line(id: "exponent", body: #""accrual":{"amount_minor":1e3,"currency":"EUR"}"#),
        line(id: "twice", body: #""accrual":{"amount_minor":"5","amountMinor":"500000","currency":"EUR"}"#),
    ]

    static let expectedProblems: [(line: Int, field: String)] = [
        (2, "accrual.amount_minor"), (3, "accrual.currency"), (4, "partner_id"), (6, "redemption.points"),
        (7, "reversal.amount_minor"), (8, "reversal.currency"), (9, "reversal.amount_minor"), (10, "partner_txn_id"),
        (11, "barrier"), (12, "inquiry"), (13, "received_at_ms"), (14, "body"), (15, "colour"), (16, "partner_txn_id"),
        (20, "occurred_at_ms"), (21, "occurred_at_ms"), (22, "accrual.amount_minor"), (23, "accrual.amount_minor"),
    ]

    /// 2026-06-01T00:00:00Z: the file's transactions are months old.
    static let now: Int64 = 1_780_272_000_000

    static let validIds = ["ok-1-ok", "r-ok", "odd-category-ok", "c-ok"]

    static func checked(_ text: String, limits: Produce.Limits = .init(), chunk: Int = 7) throws -> Produce.Checked {
        var checker = Produce.LineChecker(programme: .sample, limits: limits, nowMilliseconds: Self.now)
        let bytes = Array(text.utf8)
        // Small chunks: lines straddle chunk boundaries as they do in a real read.
        var start = 0
        while start < bytes.count {
            try checker.feed(bytes[start..<min(start + chunk, bytes.count)])
            start += chunk
        }
        return checker.finish()
    }

    @Test("each kind of bad line is named by line number and field; only valid lines become records")
    func eachBadLineNamed() throws {
        let checked = try Self.checked(Self.file.joined(separator: "\n") + "\n")
        #expect(checked.lines == Self.file.count)
        #expect(checked.invalidLines == Self.expectedProblems.count)
        // One entry per line and field (an out-of-range time can break two rules of one field).
        var named: [String] = []
        for problem in checked.problems where named.last != "\(problem.line) \(problem.field)" { named.append("\(problem.line) \(problem.field)") }
        #expect(named == Self.expectedProblems.map { "\($0.line) \($0.field)" })
        let ids = try checked.records.map { try Loyalty_V1_TransactionEnvelope(serializedBytes: $0.value).partnerTxnID }
        #expect(ids == Self.validIds)
        #expect(checked.records.allSatisfy { $0.key == Array("m-1".utf8) })
        let repeated = try #require(checked.problems.first { $0.line == 10 })
        #expect(repeated.reason.contains("repeats line 1"))
        #expect(repeated.description.hasPrefix("line 10: partner_txn_id: "))
        let seconds = try #require(checked.problems.first { $0.line == 20 })
        #expect(seconds.reason.contains("1970-01-21T10:53:45Z") && seconds.reason.contains("seconds?"))
        let micro = try #require(checked.problems.first { $0.line == 21 })
        #expect(micro.reason.contains("more than a day after now (2026-06-01T00:00:00Z)"))
        let currency = try #require(checked.problems.first { $0.line == 3 })
        #expect(currency.reason.contains("EUR") && currency.reason.contains("USD"))
    }

    @Test("one line with several programme problems lists each; control characters are escaped when printed")
    func severalProblemsAndEscaping() throws {
        let text = Self.line(partner: "nobody", id: "x", body: #""accrual":{"amount_minor":"0","currency":"USD"}"#)
        let checked = try Self.checked(text)
        #expect(checked.invalidLines == 1)
        #expect(checked.problems.map(\.field) == ["partner_id", "accrual.amount_minor", "accrual.currency"])
        let hostile = Produce.Problem(line: 3, field: "\u{1b}[2J", reason: "unknown field\u{7}")
        #expect(hostile.description == "line 3: \\u{1b}[2J: unknown field\\u{7}")
    }

    @Test("a line over the limit is refused unread and the next line is still checked; the file limit stops everything")
    func limits() throws {
        var limits = Produce.Limits()
        limits.maxLineBytes = 300
        let long = Self.line(id: "long", extra: "\"trace_id\":\"" + String(repeating: "t", count: 400) + "\",")
        let checked = try Self.checked([long, Self.line(id: "after-ok")].joined(separator: "\n"), limits: limits)
        #expect(checked.problems.map { "\($0.line) \($0.field)" } == ["1 line"])
        #expect(checked.records.count == 1)
        limits.maxFileBytes = 1_000
        #expect(throws: Produce.FileRefused.self) {
            try Self.checked(Array(repeating: Self.line(id: "x"), count: 10).joined(separator: "\n"), limits: limits)
        }
        // Problems kept for printing are bounded; the count is not.
        limits = Produce.Limits()
        limits.maxReportedProblems = 2
        let many = try Self.checked(Array(repeating: "{", count: 5).joined(separator: "\n"), limits: limits)
        #expect(many.problems.count == 2 && many.problemCount == 5 && many.invalidLines == 5)
    }

    @Test("a directory or a missing file is refused naming the path")
    func unreadablePaths() throws {
        let directory = NSTemporaryDirectory() + "produce-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: Produce.FileRefused.self) { try Produce.check(path: directory, programme: .sample) }
        #expect(throws: Produce.FileRefused.self) { try Produce.check(path: directory + "/missing.ndjson", programme: .sample) }
    }

    @Test("end to end on the mock cluster: a bad file publishes nothing and fails; --skip-invalid publishes exactly the valid lines")
    func endToEnd() async throws {
        let cluster = try TestCluster(partitions: 2)
        let path = cluster.directory + "/nightly.ndjson"
        #expect(FileManager.default.createFile(atPath: path, contents: Data((Self.file.joined(separator: "\n") + "\n").utf8)))

        await #expect(throws: CLIError.self) {
            let command = try Produce.parse([path, "--programme", sampleProgrammePath, "--bootstrap", cluster.bootstrap, "--log-level", "error"])
            try await command.run()
        }
        #expect(try cluster.recordCount(cluster.topics.transactions) == 0)

        let command = try Produce.parse([
            path, "--programme", sampleProgrammePath, "--bootstrap", cluster.bootstrap, "--skip-invalid", "--log-level", "error",
        ])
        try await command.run()
        #expect(try cluster.recordCount(cluster.topics.transactions) == Self.validIds.count)
        let records = try cluster.read(cluster.topics.transactions, atLeast: Self.validIds.count)
        let ids = try records.map { try Loyalty_V1_TransactionEnvelope(serializedBytes: $0.value).partnerTxnID }
        #expect(Set(ids) == Set(Self.validIds))
        #expect(ids.count == Self.validIds.count)
    }
}
