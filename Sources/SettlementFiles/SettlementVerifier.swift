import Basics
import Clearing
import Crypto
import Foundation
import Programme

/// Checks a settlement directory against its signed manifests and stops at the first
/// mismatch, throwing a `ClearingError` that names the file, the line or field, and the
/// expected and found values.
///
/// Order per cycle: the manifest's signature; its shape and cycle number; the chain to
/// the previous cycle's manifest (same directory; cycle 1 chains to 64 zeros); every listed
/// file's SHA-256 (file name order) and no unlisted `cycle-<N>-*` file; then content: the
/// instructions CSV reproduces the net positions and the manifest's counts and sums,
/// pain.001 NbOfTxs/CtrlSum and each transfer match the CSV, partition totals add up, and
/// each statement's net position matches.
///
/// The directory is not trusted (finance runs this on files received from elsewhere):
/// only regular files directly inside it are read, never through a symbolic link, each
/// within a size limit for its kind and hashed in chunks (`ConfinedDirectory`), and the
/// manifest's file names must be plain names of the cycle (`SettlementFileKind`).
/// Content is parsed only after the signature and hashes hold.
public enum SettlementVerifier {
    public static func verify(
        directory: String, cycle selection: CycleSelection = .all, publicKey: Curve25519.Signing.PublicKey
    ) throws(ClearingError) -> VerificationReport {
        let files = try ConfinedDirectory(directory)
        let names = try files.names()
        let cycles: [Int64]
        switch selection {
        case .cycle(let cycle):
            guard cycle >= 1 else {
                throw ClearingError(.invalidInput, "cycles are numbered from 1", location: "cycle", found: String(cycle))
            }
            cycles = [cycle]
        case .all: cycles = names.compactMap(SettlementFileName.manifestCycle).sorted()
        }
        guard !cycles.isEmpty else {
            throw ClearingError(
                .missingFile, "no cycle-<N>-manifest.json here; point at the directory the clearing node writes",
                file: directory)
        }
        var report = VerificationReport(cycles: cycles, filesChecked: 0, instructionCount: 0)
        for cycle in cycles {
            let checked = try CycleVerification(files: files, cycle: cycle, names: names, publicKey: publicKey).run()
            report.filesChecked += checked.files
            report.instructionCount += checked.instructions
        }
        return report
    }
}

/// One cycle's verification; a value so each step is a short method.
struct CycleVerification {
    let files: ConfinedDirectory
    let cycle: Int64
    let names: [String]
    let publicKey: Curve25519.Signing.PublicKey

    func run() throws(ClearingError) -> (files: Int, instructions: Int) {
        let manifestName = SettlementFileName.manifest(cycle: cycle)
        let manifestBytes = try required(manifestName, kind: .manifest).bytes
        try checkSignature(manifestBytes)
        let manifest = try decode(manifestBytes, file: manifestName)
        guard manifest.cycle == cycle, SettlementManifest.readableFormats.contains(manifest.format) else {
            throw ClearingError(
                .contentMismatch, "manifest describes another cycle or format", file: manifestName,
                location: "cycle", expected: "\(cycle) / \(SettlementManifest.formatName)",
                found: "\(manifest.cycle) / \(manifest.format)")
        }
        try checkChain(manifest)
        let contents = try checkHashes(manifest)
        let instructions = try checkInstructions(manifest, contents.bytes)
        try checkPain001(manifest, contents.bytes, instructions)
        try checkPartitions(manifest)
        try checkStatements(manifest, contents)
        if let (location, expected, found) = manifest.economicsProblem() {
            throw ClearingError(
                .contentMismatch, "the partner economics do not add up", file: manifestName, location: location, expected: expected, found: found)
        }
        return (manifest.files.count, instructions.count)
    }

    // MARK: signature and chain

    private func checkSignature(_ manifestBytes: [UInt8]) throws(ClearingError) {
        let name = SettlementFileName.signature(cycle: cycle)
        let text = String(decoding: try required(name, kind: .signature).bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let signature = Hex.decode(text), signature.count == 64 else {
            throw ClearingError(
                .malformedFile, "a signature file holds 64 bytes as 128 hex digits", file: name,
                found: "\(text.utf8.count) characters")
        }
        guard publicKey.isValidSignature(signature, for: manifestBytes) else {
            throw ClearingError(
                .signatureInvalid,
                "the manifest's Ed25519 signature does not verify with this public key: the manifest was changed or signed with another key",
                file: name, expected: "signature by \(hexString(publicKey.rawRepresentation))")
        }
    }

    private func checkChain(_ manifest: SettlementManifest) throws(ClearingError) {
        let manifestName = SettlementFileName.manifest(cycle: cycle)
        guard cycle > 1 else {
            guard manifest.previous_manifest_sha256 == CycleSettlementInput.zeroHash else {
                throw ClearingError(
                    .chainBroken, "cycle 1 has no predecessor", file: manifestName, location: "previous_manifest_sha256",
                    expected: CycleSettlementInput.zeroHash, found: manifest.previous_manifest_sha256)
            }
            return
        }
        let previousName = SettlementFileName.manifest(cycle: cycle - 1)
        guard let (previousBytes, found) = try files.load(previousName, kind: .manifest) else {
            throw ClearingError(
                .chainBroken, "the previous cycle's manifest is not in the directory; copy it here to verify the chain",
                file: previousName)
        }
        guard found == manifest.previous_manifest_sha256 else {
            throw ClearingError(
                .chainBroken, "the previous manifest differs from the one cycle \(cycle) chained to: it was altered or replaced",
                file: previousName, location: "sha256 (recorded in \(manifestName) previous_manifest_sha256)",
                expected: manifest.previous_manifest_sha256, found: found)
        }
        let previous = try decode(previousBytes, file: previousName)
        guard previous.window.to_closed_at_ms == manifest.window.from_closed_at_ms else {
            throw ClearingError(
                .chainBroken, "cycle windows do not join", file: manifestName, location: "window.from_closed_at_ms",
                expected: String(previous.window.to_closed_at_ms), found: String(manifest.window.from_closed_at_ms))
        }
    }

    // MARK: hashes

    /// What the content checks need of the hashed files: the instructions and pain.001
    /// bytes, and each statement's net_position line (a statement is dropped once hashed).
    struct HashedFiles {
        var bytes: [String: [UInt8]] = [:]
        var statements: Set<String> = []
        var netPositionLines: [String: (line: Int, text: String)] = [:]
    }

    private func checkHashes(_ manifest: SettlementManifest) throws(ClearingError) -> HashedFiles {
        let listed = manifest.files.keys.sorted(by: idPrecedes)
        // Every name first: a manifest naming a path outside the directory reads nothing.
        for name in listed {
            if let problem = SettlementFileKind.nameProblem(name, cycle: cycle) {
                throw ClearingError(
                    .invalidInput, "the manifest lists a file that is not a plain file name of this cycle inside the directory: \(problem)",
                    file: SettlementFileName.manifest(cycle: cycle), location: "files", found: FieldLimits.printable(name))
            }
        }
        var contents = HashedFiles()
        for name in listed {
            guard let kind = SettlementFileKind.of(name, cycle: cycle) else { preconditionFailure("names were checked") }
            let (bytes, found) = try required(name, kind: kind)
            let expected = manifest.files[name]!
            if found != expected {
                if name == SettlementFileName.instructions(cycle: cycle), let difference = firstDifference(manifest, bytes) {
                    throw ClearingError(
                        .hashMismatch, "the instructions differ from what the signed manifest's positions produce",
                        file: name, location: "line \(difference.line)", expected: difference.expected, found: difference.found)
                }
                throw ClearingError(
                    .hashMismatch, "the file's SHA-256 differs from the signed manifest: it was changed after signing",
                    file: name, location: "sha256", expected: expected, found: found)
            }
            switch kind {
            case .statement:
                contents.statements.insert(name)
                if let line = Self.line(startingWith: Array("net_position,".utf8), in: bytes) {
                    contents.netPositionLines[name] = line
                }
            case .conversions:
                // Signed by its hash; its rows must also add up to its total row.
                if let (line, expected, found) = ConversionFileCSV.problem(bytes) {
                    throw ClearingError(
                        .contentMismatch, "the conversion file does not add up", file: name, location: "line \(line)", expected: expected,
                        found: FieldLimits.printable(found))
                }
            case .instructions, .pain001, .manifest, .signature:
                contents.bytes[name] = bytes
            }
        }
        let prefix = "cycle-\(cycle)-"
        let own = [SettlementFileName.manifest(cycle: cycle), SettlementFileName.signature(cycle: cycle)]
        for name in names.sorted(by: idPrecedes) where name.hasPrefix(prefix) && !own.contains(name) && manifest.files[name] == nil {
            throw ClearingError(
                .contentMismatch, "a file of this cycle is not listed in its manifest; remove it or re-settle the cycle",
                file: FieldLimits.printable(name))
        }
        return contents
    }

    // MARK: helpers

    private func required(_ name: String, kind: SettlementFileKind) throws(ClearingError) -> (bytes: [UInt8], sha256: String) {
        guard let file = try files.load(name, kind: kind) else {
            throw ClearingError(.missingFile, "file of cycle \(cycle) is missing from the directory", file: name)
        }
        return file
    }

    private func decode(_ bytes: [UInt8], file: String) throws(ClearingError) -> SettlementManifest {
        do { return try JSONDecoder().decode(SettlementManifest.self, from: Data(bytes)) } catch {
            throw ClearingError(.malformedFile, "manifest is not the expected JSON: \(error)", file: file)
        }
    }
}

extension SettlementVerifier {
    /// The most bytes of a public key file read: the key is one line of 64 hex digits.
    static let maxPublicKeyFileBytes: Int64 = 4096

    /// The operator's public key from a key file, read as any file from elsewhere is: a
    /// regular file (a symbolic link is followed: the path is the caller's own choice) of
    /// at most 4 KiB, so a FIFO or a device given by mistake fails at once.
    public static func loadPublicKey(from path: String) throws(ClearingError) -> Curve25519.Signing.PublicKey {
        guard
            let (bytes, _) = try ConfinedDirectory.readRegularFile(
                path, followingLinks: true, maxBytes: maxPublicKeyFileBytes, label: "public key file",
                name: FieldLimits.printable(path))
        else {
            throw ClearingError(
                .missingFile, "public key file not found; the operator gives finance its operator.pub", file: path)
        }
        return try SigningKeyFile.publicKey(fromText: String(decoding: bytes, as: UTF8.self), source: path)
    }
}
