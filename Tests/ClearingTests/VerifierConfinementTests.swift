import Benchmarks
import Crypto
import Foundation
import Programme
import SettlementFiles
import Testing

@testable import Clearing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `loyalty settlement verify` runs on directories received from elsewhere: it reads only
/// regular files directly inside the directory, each within its kind's size limit, and
/// refuses fast (never hangs, never follows a link out) naming the file and the reason.
/// The one-minute limit is the hang guard for the FIFO cases: each test takes milliseconds.
@Suite("Settlement verifier: untrusted directories", .timeLimit(.minutes(10)))
struct VerifierConfinementTests {
    let directory: String
    let publicKey = Fixtures.signingKey.publicKey

    init() throws {
        directory = Fixtures.temporaryDirectory("confinement")
        try SettlementWriter.write(try CycleSettlement.settle(Fixtures.input(cycle: 1)), to: directory, signingKey: Fixtures.signingKey)
        #expect(try SettlementVerifier.verify(directory: directory, publicKey: publicKey).cycles == [1])
    }

    private func failure(_ cycle: CycleSelection = .all, in path: String? = nil) -> ClearingError? {
        #expect(throws: ClearingError.self) {
            try SettlementVerifier.verify(directory: path ?? directory, cycle: cycle, publicKey: publicKey)
        }
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Moves `name` aside (to a name no cycle uses) and returns where it went.
    private func moveAside(_ name: String) throws -> String {
        let aside = path("kept-" + name)
        try FileManager.default.moveItem(atPath: path(name), toPath: aside)
        return aside
    }

    private func expectRefusal(_ error: ClearingError?, file: String, saying phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error?.code == .invalidInput, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.file == file, sourceLocation: sourceLocation)
        #expect(error?.message.contains(phrase) == true, "\(String(describing: error?.message))", sourceLocation: sourceLocation)
    }

    @Test("a symbolic link to a file inside the directory is refused, not followed")
    func symlinkInside() throws {
        for name in ["cycle-1-statement-C.csv", "cycle-1-manifest.json", "cycle-1-manifest.sig"] {
            let aside = try moveAside(name)
            // Same bytes, so only the link itself can make verification fail.
            try FileManager.default.createSymbolicLink(atPath: path(name), withDestinationPath: aside)
            expectRefusal(failure(), file: name, saying: "symbolic link")
            try FileManager.default.removeItem(atPath: path(name))
            try FileManager.default.moveItem(atPath: aside, toPath: path(name))
        }
        #expect(try SettlementVerifier.verify(directory: directory, publicKey: publicKey).cycles == [1])
    }

    @Test("a symbolic link out of the directory (a file elsewhere, /dev/zero) is refused")
    func symlinkOutside() throws {
        let outside = Fixtures.temporaryDirectory("outside") + "/instructions.csv"
        try FileManager.default.copyItem(atPath: path("cycle-1-instructions.csv"), toPath: outside)
        try FileManager.default.removeItem(atPath: path("cycle-1-instructions.csv"))
        try FileManager.default.createSymbolicLink(atPath: path("cycle-1-instructions.csv"), withDestinationPath: outside)
        expectRefusal(failure(), file: "cycle-1-instructions.csv", saying: "symbolic link")

        try FileManager.default.removeItem(atPath: path("cycle-1-pain001.xml"))
        try FileManager.default.createSymbolicLink(atPath: path("cycle-1-pain001.xml"), withDestinationPath: "/dev/zero")
        try FileManager.default.removeItem(atPath: path("cycle-1-instructions.csv"))
        try FileManager.default.copyItem(atPath: outside, toPath: path("cycle-1-instructions.csv"))
        expectRefusal(failure(), file: "cycle-1-pain001.xml", saying: "symbolic link")
    }

    @Test("a FIFO where a file should be is refused at once instead of waited on")
    func fifo() throws {
        for name in ["cycle-1-manifest.sig", "cycle-1-manifest.json", "cycle-1-instructions.csv", "cycle-1-statement-A.csv"] {
            let aside = try moveAside(name)
            #expect(mkfifo(path(name), 0o600) == 0)
            let started = ContinuousClock.now
            expectRefusal(failure(), file: name, saying: "FIFO")
            #expect(ContinuousClock.now - started < .seconds(60), "refused at once, not waited on (a blocking open of a FIFO never returns)")
            try FileManager.default.removeItem(atPath: path(name))
            try FileManager.default.moveItem(atPath: aside, toPath: path(name))
        }
        // The directory argument itself a FIFO: refused, not opened for reading.
        let fifoDirectory = path("kept-fifo")
        #expect(mkfifo(fifoDirectory, 0o600) == 0)
        let error = failure(in: fifoDirectory)
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("FIFO") == true)
    }

    @Test("a directory where a file should be is refused")
    func directoryInsteadOfFile() throws {
        try FileManager.default.removeItem(atPath: path("cycle-1-statement-B.csv"))
        try FileManager.default.createDirectory(atPath: path("cycle-1-statement-B.csv"), withIntermediateDirectories: false)
        expectRefusal(failure(), file: "cycle-1-statement-B.csv", saying: "is a directory")
    }

    @Test("an oversized file (sparse, like /dev/zero's endless bytes) is refused before it is read")
    func oversized() throws {
        for (name, kind) in [
            ("cycle-1-statement-D.csv", SettlementFileKind.statement), ("cycle-1-pain001.xml", .pain001),
            ("cycle-1-manifest.json", .manifest), ("cycle-1-manifest.sig", .signature),
        ] {
            let aside = try moveAside(name)
            let descriptor = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            try #require(descriptor >= 0)
            #expect(ftruncate(descriptor, off_t(kind.maxBytes + 1)) == 0)
            close(descriptor)
            expectRefusal(failure(), file: name, saying: "over the \(kind.maxBytes)-byte limit for a \(kind.label)")
            try FileManager.default.removeItem(atPath: path(name))
            try FileManager.default.moveItem(atPath: aside, toPath: path(name))
        }
        #expect(try SettlementVerifier.verify(directory: directory, publicKey: publicKey).cycles == [1])
    }

    /// Renames `cycle-1-statement-C.csv` in the manifest's `files` to `name` and re-signs it
    /// with the real key, as a compromised signer would: the name alone must stop it.
    private func resignListing(_ name: String) throws {
        let manifestName = "cycle-1-manifest.json"
        let original = String(decoding: Fixtures.read(directory, manifestName), as: UTF8.self)
        let encodedName = String(decoding: try JSONEncoder().encode(name), as: UTF8.self)
        let manifest = original.replacingOccurrences(of: "\"cycle-1-statement-C.csv\"", with: encodedName)
        try #require(manifest != original)
        Fixtures.write(directory, manifestName, Array(manifest.utf8))
        let signature = try Fixtures.signingKey.signature(for: Array(manifest.utf8))
        Fixtures.write(directory, "cycle-1-manifest.sig", Array((signature.map { String(format: "%02x", $0) }.joined() + "\n").utf8))
    }

    @Test(
        "a signed manifest naming a file outside the directory, or no plain name, reads nothing",
        arguments: [
            "../x", "/etc/passwd", "..", ".", "../cycle-1-statement-C.csv", "cycle-1-statement-C.csv\u{0}/../../etc/passwd", ".hidden",
            "cycle-1-statement-\u{1b}[2J.csv", "cycle-1-manifest.sig", "notes.txt",
        ]
    )
    func manifestNamesOutside(_ name: String) throws {
        try resignListing(name)
        let error = try #require(failure())
        #expect(error.code == .invalidInput)
        #expect(error.file == "cycle-1-manifest.json")
        #expect(error.location == "files")
        #expect(error.found == FieldLimits.printable(name))
        #expect(error.found?.contains("\u{1b}") != true && error.found?.contains("\u{0}") != true)
    }

    @Test("plain names of the cycle pass the name check; everything else names its reason")
    func nameRules() {
        #expect(SettlementFileKind.nameProblem("cycle-3-instructions.csv", cycle: 3) == nil)
        #expect(SettlementFileKind.nameProblem("cycle-3-pain001.xml", cycle: 3) == nil)
        #expect(SettlementFileKind.nameProblem("cycle-3-statement-fuel_2.csv", cycle: 3) == nil)
        #expect(SettlementFileKind.nameProblem("cycle-2-instructions.csv", cycle: 3)?.contains("not a file name of cycle 3") == true)
        #expect(SettlementFileKind.nameProblem("a/b", cycle: 3)?.contains("path separator") == true)
        #expect(SettlementFileKind.nameProblem("..", cycle: 3)?.contains("starts with a dot") == true)
        #expect(SettlementFileKind.nameProblem("", cycle: 3) == "an empty name")
        #expect(SettlementFileKind.nameProblem(String(repeating: "x", count: 256), cycle: 3) == "longer than 255 bytes")
        #expect(SettlementFileKind.nameProblem("cycle-3-statement-.csv", cycle: 3) != nil)
    }

    @Test("a 1,000-participant cycle (the clearing bench's) verifies, each file at most 1/16 of its kind's limit (a signature 1/4)")
    func limitsHaveHeadroom() throws {
        let bench = Fixtures.temporaryDirectory("bench")
        // 100,000 debts, not the bench's 1,000,000, to stay quick: manifest, instructions and
        // pain.001 grow with participants only. Statements are smaller here than the bench's
        // (39 KB), which is itself a hundredth of their 4 MiB limit.
        let input = ClearingBenchmark.makeInput(participantCount: 1_000, entryCount: 100_000, seed: 1)
        _ = try ClearingBenchmark.run(input, directory: bench, signingKey: Fixtures.signingKey)
        #expect(try SettlementVerifier.verify(directory: bench, publicKey: publicKey).cycles == [1])
        for name in try FileManager.default.contentsOfDirectory(atPath: bench) {
            let kind = try #require(SettlementFileKind.of(name, cycle: 1), "\(name)")
            let size = try #require(try FileManager.default.attributesOfItem(atPath: bench + "/" + name)[.size] as? Int)
            // A signature is always 129 bytes; its limit only needs to exceed that.
            #expect(Int64(size) * (kind == .signature ? 4 : 16) <= kind.maxBytes, "\(name): \(size) bytes against a limit of \(kind.maxBytes)")
        }
        try FileManager.default.removeItem(atPath: bench)
    }

    @Test("the public key file: read through a link, but a FIFO or an oversized file is refused at once")
    func publicKeyFile() throws {
        let keyPath = path("kept-operator.pub")
        try SigningKeyFile.writePublicKey(publicKey, to: keyPath)
        let link = path("kept-link.pub")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: keyPath)
        #expect(try SettlementVerifier.loadPublicKey(from: link).rawRepresentation == publicKey.rawRepresentation)

        try expectKeyFileRefusals(suffix: "pub") { path throws(ClearingError) in _ = try SettlementVerifier.loadPublicKey(from: path) }

        let missing = #expect(throws: ClearingError.self) { try SettlementVerifier.loadPublicKey(from: path("kept-none.pub")) }
        #expect(missing?.code == .missingFile)
    }

    @Test("the operator's private key file: a FIFO or an oversized file is refused at once, never waited on")
    func privateKeyFile() throws {
        let keyPath = path("kept-operator.key")
        let key = SigningKeyFile.generate()
        try SigningKeyFile.writePrivateKey(key, to: keyPath)
        #expect(try SigningKeyFile.loadPrivateKey(from: keyPath).rawRepresentation == key.rawRepresentation)
        try expectKeyFileRefusals(suffix: "key") { path throws(ClearingError) in _ = try SigningKeyFile.loadPrivateKey(from: path) }
    }

    /// A key file that is a FIFO, or a (sparse) 1 GiB file, is refused at once by `load`.
    private func expectKeyFileRefusals(suffix: String, _ load: (String) throws(ClearingError) -> Void) throws {
        let fifo = path("kept-fifo.\(suffix)")
        #expect(mkfifo(fifo, 0o600) == 0)
        let fifoError = #expect(throws: ClearingError.self) { try load(fifo) }
        #expect(fifoError?.code == .invalidInput)
        #expect(fifoError?.message.contains("FIFO") == true)
        let big = path("kept-big.\(suffix)")
        let descriptor = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        #expect(ftruncate(descriptor, 1 << 30) == 0)
        close(descriptor)
        let bigError = #expect(throws: ClearingError.self) { try load(big) }
        #expect(bigError?.message.contains("over the 4096-byte limit") == true)
    }

    @Test("a cycle below 1 is refused without reading")
    func cycleBelowOne() {
        let error = failure(.cycle(0))
        #expect(error?.code == .invalidInput)
        #expect(error?.location == "cycle")
        #expect(failure(.cycle(Int64.min))?.code == .invalidInput)
    }
}
