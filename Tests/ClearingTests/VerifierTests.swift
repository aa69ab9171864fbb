import Clearing
import Crypto
import Foundation
import Programme
import SettlementFiles
import Testing

@Suite("Settlement verifier and tampering", .timeLimit(.minutes(10)))
struct VerifierTests {
    let directory: String
    let publicKey = Fixtures.signingKey.publicKey

    /// Two chained cycles in one directory.
    init() throws {
        directory = Fixtures.temporaryDirectory("verifier")
        let first = try SettlementWriter.write(
            try CycleSettlement.settle(Fixtures.input(cycle: 1)), to: directory, signingKey: Fixtures.signingKey)
        let manifestHash = Fixtures.sha256(first.first { $0.name == "cycle-1-manifest.json" }!.bytes)
        let secondDebts = [
            DebtTotal(payer: "B", payee: "A", amountMinor: 12_345),
            DebtTotal(payer: "C", payee: "OP", amountMinor: 99),
            DebtTotal(payer: "D", payee: "C", amountMinor: 1),
        ]
        try SettlementWriter.write(
            try CycleSettlement.settle(Fixtures.input(cycle: 2, debts: secondDebts, previousManifestSHA256: manifestHash)),
            to: directory, signingKey: Fixtures.signingKey)
    }

    private func failure(_ cycle: CycleSelection = .all, key: Curve25519.Signing.PublicKey? = nil) -> ClearingError? {
        #expect(throws: ClearingError.self) {
            try SettlementVerifier.verify(directory: directory, cycle: cycle, publicKey: key ?? publicKey)
        }
    }

    /// Replaces a file and re-signs its cycle's manifest with the real key, as a buggy or
    /// compromised signer would, so the content checks behind the hashes are exercised.
    private func replaceAndResign(_ name: String, cycle: Int64, _ bytes: [UInt8]) throws {
        let old = Fixtures.sha256(Fixtures.read(directory, name))
        Fixtures.write(directory, name, bytes)
        let manifestName = "cycle-\(cycle)-manifest.json"
        let manifest = String(decoding: Fixtures.read(directory, manifestName), as: UTF8.self)
            .replacingOccurrences(of: old, with: Fixtures.sha256(bytes))
        Fixtures.write(directory, manifestName, Array(manifest.utf8))
        let signature = try Fixtures.signingKey.signature(for: Array(manifest.utf8))
        let hex = signature.map { String(format: "%02x", $0) }.joined() + "\n"
        Fixtures.write(directory, "cycle-\(cycle)-manifest.sig", Array(hex.utf8))
    }

    @Test func untouchedDirectoryVerifies() throws {
        let report = try SettlementVerifier.verify(directory: directory, publicKey: publicKey)
        #expect(report.cycles == [1, 2])
        #expect(report.filesChecked == 12)
        #expect(report.instructionCount == 4 + 3)
        #expect(try SettlementVerifier.verify(directory: directory, cycle: .cycle(2), publicKey: publicKey).cycles == [2])
    }

    @Test func oneChangedByteInTheCSVIsNamedWithItsLine() throws {
        var bytes = Fixtures.read(directory, "cycle-1-instructions.csv")
        let target = try #require(bytes.firstIndex(of: UInt8(ascii: "5")))  // 550 on line 2
        bytes[target] = UInt8(ascii: "6")
        Fixtures.write(directory, "cycle-1-instructions.csv", bytes)
        let error = try #require(failure())
        #expect(error.code == .hashMismatch)
        #expect(error.file == "cycle-1-instructions.csv")
        #expect(error.location == "line 2")
        #expect(error.expected?.hasPrefix("1,D,B,550,") == true)
        #expect(error.found?.hasPrefix("1,D,B,650,") == true)
    }

    @Test func aRemovedCSVLineIsNamed() throws {
        var lines = String(decoding: Fixtures.read(directory, "cycle-2-instructions.csv"), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        lines.remove(at: 2)
        Fixtures.write(directory, "cycle-2-instructions.csv", Array(lines.joined(separator: "\n").utf8))
        let error = try #require(failure())
        #expect(error.code == .hashMismatch)
        #expect(error.file == "cycle-2-instructions.csv")
        #expect(error.location == "line 3")
    }

    @Test func aManifestSignedWithAForeignKeyFails() throws {
        let manifest = Fixtures.read(directory, "cycle-2-manifest.json")
        let signature = try Fixtures.foreignKey.signature(for: manifest)
        Fixtures.write(directory, "cycle-2-manifest.sig", Array((signature.map { String(format: "%02x", $0) }.joined() + "\n").utf8))
        let error = try #require(failure())
        #expect(error.code == .signatureInvalid)
        #expect(error.file == "cycle-2-manifest.sig")
        // And a directory verified with the wrong public key fails on the first cycle.
        let wrongKey = try #require(failure(key: Fixtures.foreignKey.publicKey))
        #expect(wrongKey.file == "cycle-1-manifest.sig")
    }

    @Test func anAlteredPreviousManifestBreaksTheChain() throws {
        var bytes = Fixtures.read(directory, "cycle-1-manifest.json")
        let target = try #require(String(decoding: bytes, as: UTF8.self).range(of: "\"cycle\": 1"))
        let offset = String(decoding: bytes, as: UTF8.self).utf8.distance(
            from: String(decoding: bytes, as: UTF8.self).startIndex, to: target.lowerBound)
        bytes.insert(UInt8(ascii: " "), at: offset)
        Fixtures.write(directory, "cycle-1-manifest.json", bytes)
        let chain = try #require(failure(.cycle(2)))
        #expect(chain.code == .chainBroken)
        #expect(chain.file == "cycle-1-manifest.json")
        #expect(chain.found == Fixtures.sha256(bytes))
        // Verifying everything stops earlier: cycle 1's own signature no longer holds.
        let all = try #require(failure())
        #expect(all.code == .signatureInvalid)
        #expect(all.file == "cycle-1-manifest.sig")
    }

    @Test func aMissingPreviousManifestBreaksTheChain() throws {
        try FileManager.default.removeItem(atPath: directory + "/cycle-1-manifest.json")
        let error = try #require(failure(.cycle(2)))
        #expect(error.code == .chainBroken)
    }

    @Test func aMissingStatementIsNamed() throws {
        try FileManager.default.removeItem(atPath: directory + "/cycle-1-statement-C.csv")
        let error = try #require(failure())
        #expect(error.code == .missingFile)
        #expect(error.file == "cycle-1-statement-C.csv")
    }

    @Test func anUnlistedFileIsNamed() throws {
        Fixtures.write(directory, "cycle-2-statement-EVIL.csv", Array("x\n".utf8))
        let error = try #require(failure())
        #expect(error.code == .contentMismatch)
        #expect(error.file == "cycle-2-statement-EVIL.csv")
    }

    @Test func resignedCSVThatNoLongerNetsIsCaughtByContent() throws {
        let text = String(decoding: Fixtures.read(directory, "cycle-1-instructions.csv"), as: UTF8.self)
            .replacingOccurrences(of: "4,A,B,20,", with: "4,A,B,21,")
        try replaceAndResign("cycle-1-instructions.csv", cycle: 1, Array(text.utf8))
        let error = try #require(failure())
        #expect(error.code == .contentMismatch)
        #expect(error.file == "cycle-1-instructions.csv")
        #expect(error.location == "amount_minor")
        #expect(error.expected == "900")
        #expect(error.found == "901")
    }

    @Test func resignedPainWithWrongControlSumIsCaught() throws {
        let text = String(decoding: Fixtures.read(directory, "cycle-1-pain001.xml"), as: UTF8.self)
            .replacingOccurrences(of: "<CtrlSum>9.00</CtrlSum>", with: "<CtrlSum>9.01</CtrlSum>")
        try replaceAndResign("cycle-1-pain001.xml", cycle: 1, Array(text.utf8))
        let error = try #require(failure())
        #expect(error.code == .contentMismatch)
        #expect(error.file == "cycle-1-pain001.xml")
        #expect(error.location == "GrpHdr/CtrlSum")
        #expect(error.expected == "9.00")
        #expect(error.found == "9.01")
    }

    @Test func resignedPainWithWrongCountIsCaught() throws {
        let text = String(decoding: Fixtures.read(directory, "cycle-2-pain001.xml"), as: UTF8.self)
            .replacingOccurrences(of: "<NbOfTxs>3</NbOfTxs>", with: "<NbOfTxs>4</NbOfTxs>")
        try replaceAndResign("cycle-2-pain001.xml", cycle: 2, Array(text.utf8))
        let error = try #require(failure(.cycle(2)))
        #expect(error.location == "GrpHdr/NbOfTxs")
        #expect(error.expected == "3")
    }

    @Test func errorsReadAsActionableText() throws {
        Fixtures.write(directory, "cycle-1-pain001.xml", Array("<broken".utf8))
        let error = try #require(failure())
        #expect(error.description.hasPrefix("[CLR007] cycle-1-pain001.xml (sha256): "))
        #expect(error.description.contains("expected: "))
    }
}
