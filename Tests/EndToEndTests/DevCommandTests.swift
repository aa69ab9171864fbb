import Foundation
import Ledger
import LoyaltyTesting
import Programme
import SQLite
import Simulation
import Testing

/// `loyalty dev` — the README's first command — as a user runs it: its HTTP partners
/// (signed batches and single requests through the gateway) and its C-SDK partner must land
/// every transaction they were told was accepted in the ledger, and nothing else.
@Suite("loyalty dev")
struct DevCommandTests {
    static let transactions = 6_000
    static let members = 500
    static let seed: UInt64 = 42

    @Test("HTTP and C-SDK partners: every accepted transaction is in a shard once, the refused ones nowhere; settlement verified")
    func devRun() async throws {
        let data = NSTemporaryDirectory() + "loyalty-dev-test-\(UUID().uuidString)"
        let outputPath = data + ".out"
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: outputPath)
        }
        #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
        let output = try #require(FileHandle(forWritingAtPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments = [
            "dev", "--transactions", "\(Self.transactions)", "--members", "\(Self.members)", "--seed", "\(Self.seed)", "--data", data,
            "--http-partners", "eshop,airline", "--pos-partners", "pharmacy", "--batch-lines", "100", "--single-every", "10",
        ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try await exited(process, timeoutSeconds: 600)
        try output.close()
        let text = try String(contentsOfFile: outputPath, encoding: .utf8)
        try #require(process.terminationStatus == 0, "loyalty dev failed:\n\(text)")

        let http = try Self.httpTallies(text)
        #expect(Set(http.keys) == ["eshop", "airline"], "no HTTP tally lines in:\n\(text)")
        let parsedPOS = try Self.posTally(text)
        let pos = try #require(parsedPOS, "no POS tally line in:\n\(text)")
        #expect(text.contains("verified"), "settlement files were not verified:\n\(text)")
        // The coalition's economics, per cycle, as finance reads them from the files.
        for cycle in 1...3 { #expect(text.contains("settlement of cycle \(cycle) "), "cycle \(cycle) was not settled:\n\(text)") }
        #expect(text.components(separatedBy: "partner economics (EUR").count - 1 == 3, "\(text)")
        #expect(text.contains("operator-funded") && text.contains("50,000.00 →"), "no deposit or funding model shown:\n\(text)")
        #expect(text.contains("conversions at skymiles: "), "no conversions shown:\n\(text)")

        let generated = Self.generatedIds()
        let journal = try Self.journalIds(shards: "\(data)/shards")
        for (partner, tally) in http {
            #expect(tally.batches > 0 && tally.singles > 0, "\(partner) sent \(tally.batches) batches and \(tally.singles) single requests")
            #expect(tally.failed == 0)
            let sent = generated[partner] ?? []
            let applied = journal[partner] ?? []
            #expect(applied.isSubset(of: sent), "\(partner): ledger holds transactions never sent: \(applied.subtracting(sent).sorted().prefix(5))")
            let missing = sent.subtracting(applied)
            // Only the deliberately invalid ones ("-x") may be missing: refused at the edge, so unpublished.
            #expect(
                missing.allSatisfy { $0.hasSuffix("-x") }, "\(partner): valid transactions missing from the ledger: \(missing.sorted().prefix(5))")
            #expect(missing.count == tally.refused, "\(partner): \(missing.count) missing from the ledger, \(tally.refused) refused at the edge")
            // Every distinct transaction the gateway accepted was journaled once (repeats answer DUPLICATE from the same row).
            #expect(applied.count <= tally.accepted)
        }
        let sent = generated["pharmacy"] ?? []
        let applied = journal["pharmacy"] ?? []
        #expect(applied.isSubset(of: sent))
        #expect(
            sent.subtracting(applied).count == pos.refused, "pharmacy: \(sent.subtracting(applied).count) missing, \(pos.refused) refused by the SDK")
        #expect(pos.acknowledged > 0 && pos.failed == 0)
    }

    struct HTTPTally {
        var accepted = 0, batches = 0, singles = 0, refused = 0, failed = 0
    }

    /// "eshop over HTTP (signed, via the gateway): 2,400 accepted in 96 batches and 89 single requests, 1 refused at the edge, 0 failed"
    static func httpTallies(_ text: String) throws -> [String: HTTPTally] {
        let pattern = try Regex(
            #"(\w+) over HTTP [^:]*: ([\d,]+) accepted in (\d+) batches and (\d+) single requests, (\d+) refused at the edge, (\d+) failed"#)
        var tallies: [String: HTTPTally] = [:]
        for line in text.split(separator: "\n") {
            guard let match = try pattern.firstMatch(in: String(line)) else { continue }
            func number(_ i: Int) -> Int { Int(String(match.output[i].substring ?? "").replacingOccurrences(of: ",", with: "")) ?? -1 }
            let partner = String(match.output[1].substring ?? "")
            tallies[partner] = HTTPTally(accepted: number(2), batches: number(3), singles: number(4), refused: number(5), failed: number(6))
        }
        return tallies
    }

    /// "pharmacy POS terminals (C partner SDK): 2,420 acknowledged, 1 refused by the SDK's validation, 0 failed"
    static func posTally(_ text: String) throws -> (acknowledged: Int, refused: Int, failed: Int)? {
        let pattern = try Regex(#"pharmacy POS terminals [^:]*: ([\d,]+) acknowledged, (\d+) refused by the SDK's validation, (\d+) failed"#)
        guard let match = try pattern.firstMatch(in: text) else { return nil }
        func number(_ i: Int) -> Int { Int(String(match.output[i].substring ?? "").replacingOccurrences(of: ",", with: "")) ?? -1 }
        return (number(1), number(2), number(3))
    }

    /// Distinct transaction ids per partner of the same synthetic traffic `loyalty dev` fed.
    static func generatedIds() -> [String: Set<String>] {
        var settings = SyntheticCoalition.Settings()
        settings.members = members
        settings.transactions = transactions
        settings.seed = seed
        var ids: [String: Set<String>] = [:]
        for transaction in SyntheticCoalition(programme: .coalitionSample, settings: settings) {
            ids[transaction.partnerId, default: []].insert(transaction.partnerTxnId)
        }
        return ids
    }

    /// Every (partner, partner_txn_id) journaled in the shard files.
    static func journalIds(shards directory: String) throws -> [String: Set<String>] {
        var ids: [String: Set<String>] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("shard-") && $0.hasSuffix(".sqlite") }
        #expect(!names.isEmpty)
        for name in names {
            let database = try SQLiteDatabase(path: "\(directory)/\(name)")
            defer { database.close() }
            let rows = try database.prepare("SELECT partner_id, partner_txn_id FROM journal")
            defer { rows.reset() }
            while try rows.step() {
                let partner = rows.text(0)
                let (inserted, _) = ids[partner, default: []].insert(rows.text(1))
                #expect(inserted, "\(partner) \(rows.text(1)) journaled twice")
            }
        }
        return ids
    }
}
