import Basics
import Crypto
import Foundation
import Programme
import SettlementFiles
import Testing

@testable import Clearing

/// Exchange partners' conversion files (docs/finance.md, "Conversion files"): one per
/// exchange partner with conversions in the cycle, hashed into the manifest, checked by
/// the verifier. D and C stand for exchange partners here.
@Suite("Conversion files", .timeLimit(.minutes(10)))
struct ConversionFileTests {
    static let conversions = [
        Conversion(partnerId: "D", partnerTxnId: "x9", memberId: "m2", externalMemberId: "FF-12", points: 5_000, miles: 2_000, offset: 7),
        Conversion(partnerId: "C", partnerTxnId: "c1", memberId: "m1", externalMemberId: "C,1", points: 300, miles: 30, offset: 3),
        Conversion(partnerId: "D", partnerTxnId: "x1", memberId: "m1", externalMemberId: "FF-77", points: 2_000, miles: 800, offset: 1),
        Conversion(partnerId: "D", partnerTxnId: "x2", memberId: "m3", externalMemberId: "FF-12", points: 1_000, miles: 400, offset: 2),
    ]

    static func settlement() throws -> CycleSettlement {
        try CycleSettlement.settle(Fixtures.input().withConversions(conversions))
    }

    @Test func oneFilePerExchangePartnerSortedByExternalIdWithATotal() throws {
        let files = try SettlementRenderer.render(try Self.settlement(), signingKey: Fixtures.signingKey)
        let d = try #require(files.first { $0.name == "cycle-1-conversions-D.csv" })
        #expect(
            String(decoding: d.bytes, as: UTF8.self) == """
                record,external_member_id,points,miles,member_id,partner_txn_id
                conversion,FF-12,1000,400,m3,x2
                conversion,FF-12,5000,2000,m2,x9
                conversion,FF-77,2000,800,m1,x1
                total,,8000,3200,3,

                """)
        // A field with a comma is quoted.
        let c = try #require(files.first { $0.name == "cycle-1-conversions-C.csv" })
        #expect(String(decoding: c.bytes, as: UTF8.self).contains("conversion,\"C,1\",300,30,m1,c1\n"))
        // No conversions, no file.
        #expect(!files.contains { $0.name.contains("conversions-A") || $0.name.contains("conversions-B") })
        // Both are in the manifest's files with their hashes.
        let manifest = String(decoding: try #require(files.first { $0.name == "cycle-1-manifest.json" }).bytes, as: UTF8.self)
        #expect(manifest.contains("\"cycle-1-conversions-D.csv\": \"\(Fixtures.sha256(d.bytes))\""))
        #expect(manifest.contains("\"cycle-1-conversions-C.csv\": \"\(Fixtures.sha256(c.bytes))\""))
        // Without conversions, the files are as before.
        let plain = try SettlementRenderer.render(try CycleSettlement.settle(Fixtures.input()), signingKey: Fixtures.signingKey)
        #expect(!plain.contains { $0.name.contains("conversions") })
    }

    @Test func theVerifierChecksConversionFiles() throws {
        let directory = Fixtures.temporaryDirectory("conversions")
        try SettlementWriter.write(try Self.settlement(), to: directory, signingKey: Fixtures.signingKey)
        let key = Fixtures.signingKey.publicKey
        #expect(try SettlementVerifier.verify(directory: directory, publicKey: key).cycles == [1])
        // One changed digit: the hash no longer matches the signed manifest.
        let name = "cycle-1-conversions-D.csv"
        let original = Fixtures.read(directory, name)
        let tampered = Array(String(decoding: original, as: UTF8.self).replacingOccurrences(of: ",800,", with: ",900,").utf8)
        Fixtures.write(directory, name, tampered)
        let error = try #require(#expect(throws: ClearingError.self) { try SettlementVerifier.verify(directory: directory, publicKey: key) })
        #expect(error.code == .hashMismatch && error.file == name)
        // Removed: missing.
        try FileManager.default.removeItem(atPath: directory + "/" + name)
        let missing = try #require(#expect(throws: ClearingError.self) { try SettlementVerifier.verify(directory: directory, publicKey: key) })
        #expect(missing.code == .missingFile && missing.file == name)
        // An unlisted conversion file of the cycle is refused too.
        Fixtures.write(directory, name, original)
        Fixtures.write(directory, "cycle-1-conversions-Z.csv", original)
        let extra = try #require(#expect(throws: ClearingError.self) { try SettlementVerifier.verify(directory: directory, publicKey: key) })
        #expect(extra.code == .contentMismatch && extra.file == "cycle-1-conversions-Z.csv")
    }

    @Test func aFileWhoseRowsDoNotAddUpIsNamedWithItsLine() throws {
        let good = Array(ConversionFileCSV.render(Self.conversions.filter { $0.partnerId == "D" }).utf8)
        #expect(ConversionFileCSV.problem(good) == nil)
        func problem(_ text: String) -> (line: Int, expected: String, found: String)? { ConversionFileCSV.problem(Array(text.utf8)) }
        let text = String(decoding: good, as: UTF8.self)
        // A row's miles changed: the total no longer matches.
        let changed = try #require(problem(text.replacingOccurrences(of: ",800,", with: ",900,")))
        #expect(changed.line == 5 && changed.expected == "total,,8000,3300,3," && changed.found == "total,,8000,3200,3,")
        // Rows out of order, a missing total, a bad header, a zero.
        let swapped = text.replacingOccurrences(of: "FF-77", with: "FF-00")
        #expect(problem(swapped)?.line == 4)
        // Without its total row the last conversion is taken for it.
        #expect(problem(String(text.split(separator: "\n").dropLast().joined(separator: "\n")) + "\n")?.line == 4)
        #expect(problem(ConversionFileCSV.header)?.expected == "a last total row")
        #expect(problem(text.replacingOccurrences(of: "record,", with: "rec,"))?.line == 1)
        #expect(problem(text.replacingOccurrences(of: ",1000,400,", with: ",0,400,"))?.line == 2)
    }

    /// Random conversions over three partners, in any order: every file verifies, its
    /// total row holds the sums, and the bytes do not depend on the input order.
    @Test func randomConversionsAlwaysAddUpWhateverTheOrder() throws {
        var random = SplitMix64(seed: 14)
        for _ in 0..<20 {
            var conversions: [Conversion] = []
            for n in 0..<(1 + random.below(60)) {
                let blocks = Int64(1 + random.below(50))
                conversions.append(
                    Conversion(
                        partnerId: ["B", "C", "D"][random.below(3)], partnerTxnId: "t\(n)", memberId: "m\(random.below(9))",
                        externalMemberId: ["X,1", "X\"2", "FF-\(random.below(5))", "a"][random.below(4)], points: blocks * 500,
                        miles: blocks * 7, offset: Int64(n)))
            }
            let input = Fixtures.input().withConversions(conversions)
            let files = ConversionFileCSV.files(input)
            #expect(ConversionFileCSV.files(Fixtures.input().withConversions(conversions.reversed())) == files)
            for file in files {
                let partner = String(file.name.dropFirst("cycle-1-conversions-".count).dropLast(".csv".count))
                let mine = conversions.filter { $0.partnerId == partner }
                #expect(ConversionFileCSV.problem(file.bytes) == nil)
                let total = String(decoding: file.bytes, as: UTF8.self).split(separator: "\n").last.map(String.init)
                #expect(total == "total,,\(mine.map(\.points).reduce(0, +)),\(mine.map(\.miles).reduce(0, +)),\(mine.count),")
            }
            #expect(Set(files.map(\.name)) == Set(conversions.map { "cycle-1-conversions-\($0.partnerId).csv" }))
        }
    }

    @Test func conversionsAreValidatedWithTheInput() throws {
        var unknown = Self.conversions
        unknown[0].partnerId = "NOPE"
        #expect(throws: ClearingError.self) { try CycleSettlement.settle(Fixtures.input().withConversions(unknown)) }
        var twice = Self.conversions
        twice[1] = twice[2]
        #expect(throws: ClearingError.self) { try CycleSettlement.settle(Fixtures.input().withConversions(twice)) }
        var noMiles = Self.conversions
        noMiles[0].miles = 0
        #expect(throws: ClearingError.self) { try CycleSettlement.settle(Fixtures.input().withConversions(noMiles)) }
    }
}
