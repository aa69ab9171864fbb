import Basics
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
            let checked = try CycleCheck(files: files, cycle: cycle, names: names, publicKey: publicKey).run()
            report.filesChecked += checked.files
            report.instructionCount += checked.instructions
        }
        return report
    }
}

/// One cycle's verification; a value so each step is a short method.
private struct CycleCheck {
    let files: ConfinedDirectory
    let cycle: Int64
    let names: [String]
    let publicKey: Curve25519.Signing.PublicKey

    func run() throws(ClearingError) -> (files: Int, instructions: Int) {
        let manifestName = SettlementFileName.manifest(cycle: cycle)
        let manifestBytes = try required(manifestName, kind: .manifest).bytes
        try checkSignature(manifestBytes)
        let manifest = try decode(manifestBytes, file: manifestName)
        guard manifest.cycle == cycle, manifest.format == SettlementManifest.formatName else {
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
    private struct HashedFiles {
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

    /// Re-plans the instructions from the manifest and returns the first line that differs.
    private func firstDifference(
        _ manifest: SettlementManifest, _ bytes: [UInt8]
    ) -> (line: Int, expected: String, found: String)? {
        guard let expectedText = try? expectedInstructionsCSV(manifest) else { return nil }
        let expected = expectedText.split(separator: "\n", omittingEmptySubsequences: false)
        let found = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for line in 0..<max(expected.count, found.count) {
            let wanted = line < expected.count ? String(expected[line]) : "<end of file>"
            let got = line < found.count ? String(found[line]) : "<end of file>"
            if wanted != got { return (line + 1, wanted, got) }
        }
        return nil
    }

    private func expectedInstructionsCSV(_ manifest: SettlementManifest) throws(ClearingError) -> String {
        let positions = manifest.net_positions.map { NetPosition(participant: $0.key, amountMinor: $0.value) }
        let mode: InstructionMode =
            manifest.instruction_mode == "greedy"
            ? .greedy : .centralCounterparty(operatorId: manifest.central_counterparty_id ?? manifest.operator_id)
        let instructions = try InstructionPlanner.instructions(for: positions, mode: mode)
        var accounts: [String: ParticipantAccount] = [:]
        for (id, account) in manifest.accounts {
            accounts[id] = ParticipantAccount(id: id, name: account.name, iban: account.iban, bic: account.bic)
        }
        let currency = Currency(code: manifest.currency.code, minorUnitExponent: manifest.currency.minor_unit_exponent)
        return InstructionsCSV.render(instructions, currency: currency, accounts: accounts)
    }

    // MARK: content

    private func checkInstructions(
        _ manifest: SettlementManifest, _ contents: [String: [UInt8]]
    ) throws(ClearingError) -> [SettlementInstruction] {
        let name = SettlementFileName.instructions(cycle: cycle)
        guard let bytes = contents[name] else {
            throw ClearingError(.contentMismatch, "the manifest lists no instructions file", file: SettlementFileName.manifest(cycle: cycle), location: "files", expected: name)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "" else {
            throw ClearingError(.malformedFile, "the last line must end with LF", file: name, location: "line \(lines.count)")
        }
        lines.removeLast()
        guard lines.first.map({ $0 + "\n" }) == Substring(InstructionsCSV.header) else {
            throw ClearingError(
                .malformedFile, "unexpected header", file: name, location: "line 1",
                expected: String(InstructionsCSV.header.dropLast()), found: lines.first.map(String.init) ?? "<empty file>")
        }
        var balances: [String: Int64] = [:]
        var instructions: [SettlementInstruction] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            let instruction = try parseRow(line, lineNumber: offset + 1, sequence: offset, manifest: manifest, file: name)
            guard addChecked(&balances[instruction.payer, default: 0], -instruction.amountMinor),
                addChecked(&balances[instruction.payee, default: 0], instruction.amountMinor)
            else { throw ClearingError(.contentMismatch, "amounts overflow Int64", file: name, location: "line \(offset + 1)") }
            instructions.append(instruction)
        }
        let manifestName = SettlementFileName.manifest(cycle: cycle)
        guard Int64(instructions.count) == manifest.net.instruction_count else {
            throw ClearingError(
                .contentMismatch, "instruction count differs from the manifest", file: name, location: "rows",
                expected: String(manifest.net.instruction_count), found: String(instructions.count))
        }
        let moved = instructions.reduce(Int64(0)) { $0 &+ $1.amountMinor }
        guard moved == manifest.net.moved_amount_minor else {
            throw ClearingError(
                .contentMismatch, "sum of amount_minor differs from the manifest's net.moved_amount_minor", file: name,
                location: "amount_minor", expected: String(manifest.net.moved_amount_minor), found: String(moved))
        }
        var positionSum: Int64 = 0
        for participant in Set(balances.keys).union(manifest.net_positions.keys).sorted(by: idPrecedes) {
            let expected = manifest.net_positions[participant] ?? 0
            let found = balances[participant] ?? 0
            positionSum &+= expected
            guard expected == found else {
                throw ClearingError(
                    .contentMismatch, "the instructions do not reproduce \(participant)'s net position", file: name,
                    location: "participant \(participant) (manifest \(manifestName) net_positions)",
                    expected: String(expected), found: String(found))
            }
        }
        guard positionSum == 0 else {
            throw ClearingError(.contentMismatch, "net positions do not sum to 0", file: manifestName, location: "net_positions", expected: "0", found: String(positionSum))
        }
        return instructions
    }

    private func parseRow(
        _ line: Substring, lineNumber: Int, sequence: Int, manifest: SettlementManifest, file: String
    ) throws(ClearingError) -> SettlementInstruction {
        let location = "line \(lineNumber)"
        guard let fields = CSV.split(line), fields.count == InstructionsCSV.columnCount else {
            throw ClearingError(
                .malformedFile, "a row needs \(InstructionsCSV.columnCount) comma-separated fields", file: file,
                location: location, found: String(line))
        }
        guard fields[0] == String(sequence) else {
            throw ClearingError(.contentMismatch, "sequence numbers must run 1, 2, 3 …", file: file, location: "\(location) sequence", expected: String(sequence), found: fields[0])
        }
        guard let amountMinor = Int64(fields[3]), amountMinor > 0 else {
            throw ClearingError(.contentMismatch, "amount_minor must be a positive integer", file: file, location: "\(location) amount_minor", found: fields[3])
        }
        guard fields[4] == manifest.currency.code else {
            throw ClearingError(.contentMismatch, "currency differs from the manifest", file: file, location: "\(location) currency", expected: manifest.currency.code, found: fields[4])
        }
        for (idField, ibanField, bicField, role) in [(1, 5, 6, "payer"), (2, 7, 8, "payee")] {
            guard let account = manifest.accounts[fields[idField]] else {
                throw ClearingError(.contentMismatch, "\(role) has no account in the manifest", file: file, location: "\(location) \(role)", found: fields[idField])
            }
            guard fields[ibanField] == account.iban, fields[bicField] == account.bic else {
                throw ClearingError(
                    .contentMismatch, "\(role)'s IBAN/BIC differ from the manifest's accounts", file: file,
                    location: "\(location) \(role)_iban/\(role)_bic", expected: "\(account.iban)/\(account.bic)",
                    found: "\(fields[ibanField])/\(fields[bicField])")
            }
        }
        return SettlementInstruction(sequence: sequence, payer: fields[1], payee: fields[2], amountMinor: amountMinor)
    }

    private func checkPain001(
        _ manifest: SettlementManifest, _ contents: [String: [UInt8]], _ instructions: [SettlementInstruction]
    ) throws(ClearingError) {
        let name = SettlementFileName.pain001(cycle: cycle)
        guard let bytes = contents[name] else {
            throw ClearingError(.contentMismatch, "the manifest lists no pain.001 file", file: SettlementFileName.manifest(cycle: cycle), location: "files", expected: name)
        }
        let summary = try Pain001Summary.parse(bytes, file: name)
        let exponent = manifest.currency.minor_unit_exponent
        guard (0...MinorUnits.maximumExponent).contains(exponent) else {
            throw ClearingError(.malformedFile, "unsupported minor-unit exponent", file: SettlementFileName.manifest(cycle: cycle), location: "currency.minor_unit_exponent", found: String(exponent))
        }
        guard summary.numberOfTransactions == String(instructions.count) else {
            throw ClearingError(
                .contentMismatch, "GrpHdr NbOfTxs differs from the instructions CSV row count", file: name,
                location: "GrpHdr/NbOfTxs", expected: String(instructions.count), found: summary.numberOfTransactions ?? "<missing>")
        }
        let sumMinor = instructions.reduce(Int64(0)) { $0 &+ $1.amountMinor }
        let controlSum = MinorUnits.format(sumMinor, exponent: exponent)
        guard summary.controlSum == controlSum else {
            throw ClearingError(
                .contentMismatch, "GrpHdr CtrlSum differs from the instructions CSV total", file: name,
                location: "GrpHdr/CtrlSum", expected: controlSum, found: summary.controlSum ?? "<missing>")
        }
        guard summary.transfers.count == instructions.count else {
            throw ClearingError(
                .contentMismatch, "number of CdtTrfTxInf differs from the instructions CSV", file: name,
                location: "CdtTrfTxInf", expected: String(instructions.count), found: String(summary.transfers.count))
        }
        var byEndToEnd: [String: Pain001Summary.Transfer] = [:]
        for transfer in summary.transfers { byEndToEnd[transfer.endToEndId] = transfer }
        for instruction in instructions {
            let endToEndId = "C\(cycle)-S\(instruction.sequence)"
            let expected = MinorUnits.format(instruction.amountMinor, exponent: exponent)
            guard let transfer = byEndToEnd[endToEndId], transfer.amountText == expected,
                transfer.currency == manifest.currency.code
            else {
                let found = byEndToEnd[endToEndId].map { "\($0.currency) \($0.amountText)" } ?? "<missing>"
                throw ClearingError(
                    .contentMismatch, "transfer differs from instructions CSV sequence \(instruction.sequence)", file: name,
                    location: "CdtTrfTxInf EndToEndId \(endToEndId) InstdAmt", expected: "\(manifest.currency.code) \(expected)", found: found)
            }
        }
    }

    private func checkPartitions(_ manifest: SettlementManifest) throws(ClearingError) {
        let file = SettlementFileName.manifest(cycle: cycle)
        var totals = (Int64(0), Int64(0), Int64(0), Int64(0), Int64(0))
        for range in manifest.partitions {
            guard range.offset_count == range.barrier_offset &- range.first_offset else {
                throw ClearingError(
                    .contentMismatch, "offset_count must be barrier_offset − first_offset", file: file,
                    location: "partitions[\(range.partition)].offset_count",
                    expected: String(range.barrier_offset &- range.first_offset), found: String(range.offset_count))
            }
            totals.0 &+= range.accepted
            totals.1 &+= range.rejected
            totals.2 &+= range.duplicates
            totals.3 &+= range.dead_letters
            totals.4 &+= range.offset_count
        }
        let recorded = manifest.partition_totals
        let pairs = [
            ("accepted", recorded.accepted, totals.0), ("rejected", recorded.rejected, totals.1),
            ("duplicates", recorded.duplicates, totals.2), ("dead_letters", recorded.dead_letters, totals.3),
            ("offset_count", recorded.offset_count, totals.4),
        ]
        for (field, expected, found) in pairs where expected != found {
            throw ClearingError(
                .contentMismatch, "partition_totals.\(field) is not the sum over partitions", file: file,
                location: "partition_totals.\(field)", expected: String(found), found: String(expected))
        }
    }

    private func checkStatements(_ manifest: SettlementManifest, _ contents: HashedFiles) throws(ClearingError) {
        for partner in manifest.accounts.keys.sorted(by: idPrecedes) where partner != manifest.operator_id {
            let name = SettlementFileName.statement(cycle: cycle, partner: partner)
            guard contents.statements.contains(name) else {
                throw ClearingError(
                    .contentMismatch, "partner \(partner) has no statement listed", file: SettlementFileName.manifest(cycle: cycle),
                    location: "files", expected: name)
            }
            let expected = "net_position,,\(manifest.net_positions[partner] ?? 0),minor"
            guard let (lineNumber, found) = contents.netPositionLines[name] else {
                throw ClearingError(.malformedFile, "no net_position record", file: name, expected: expected)
            }
            guard found == expected else {
                throw ClearingError(
                    .contentMismatch, "statement net position differs from the manifest", file: name,
                    location: "line \(lineNumber)", expected: expected, found: found)
            }
        }
    }

    /// The first line starting with `prefix` and its 1-based number, scanning bytes once
    /// (statements of large partners run to megabytes).
    private static func line(startingWith prefix: [UInt8], in bytes: [UInt8]) -> (Int, String)? {
        var lineStart = 0
        var lineNumber = 1
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if bytes[lineStart..<lineEnd].starts(with: prefix) {
                return (lineNumber, String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self))
            }
            lineStart = lineEnd + 1
            lineNumber += 1
        }
        return nil
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
