import Basics
import Clearing
import Crypto
import Foundation
import Programme

/// The content checks of one cycle: instructions re-planned from the manifest, pain.001
/// totals, partition ranges and each statement's net position, against the hashed files.
extension CycleVerification {
    /// Re-plans the instructions from the manifest and returns the first line that differs.
    func firstDifference(
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

    func expectedInstructionsCSV(_ manifest: SettlementManifest) throws(ClearingError) -> String {
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

    func checkInstructions(
        _ manifest: SettlementManifest, _ contents: [String: [UInt8]]
    ) throws(ClearingError) -> [SettlementInstruction] {
        let name = SettlementFileName.instructions(cycle: cycle)
        guard let bytes = contents[name] else {
            throw ClearingError(
                .contentMismatch, "the manifest lists no instructions file", file: SettlementFileName.manifest(cycle: cycle), location: "files",
                expected: name)
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
            throw ClearingError(
                .contentMismatch, "net positions do not sum to 0", file: manifestName, location: "net_positions", expected: "0",
                found: String(positionSum))
        }
        return instructions
    }

    func parseRow(
        _ line: Substring, lineNumber: Int, sequence: Int, manifest: SettlementManifest, file: String
    ) throws(ClearingError) -> SettlementInstruction {
        let location = "line \(lineNumber)"
        guard let fields = CSV.split(line), fields.count == InstructionsCSV.columnCount else {
            throw ClearingError(
                .malformedFile, "a row needs \(InstructionsCSV.columnCount) comma-separated fields", file: file,
                location: location, found: String(line))
        }
        guard fields[0] == String(sequence) else {
            throw ClearingError(
                .contentMismatch, "sequence numbers must run 1, 2, 3 …", file: file, location: "\(location) sequence", expected: String(sequence),
                found: fields[0])
        }
        guard let amountMinor = Int64(fields[3]), amountMinor > 0 else {
            throw ClearingError(
                .contentMismatch, "amount_minor must be a positive integer", file: file, location: "\(location) amount_minor", found: fields[3])
        }
        guard fields[4] == manifest.currency.code else {
            throw ClearingError(
                .contentMismatch, "currency differs from the manifest", file: file, location: "\(location) currency",
                expected: manifest.currency.code, found: fields[4])
        }
        for (idField, ibanField, bicField, role) in [(1, 5, 6, "payer"), (2, 7, 8, "payee")] {
            guard let account = manifest.accounts[fields[idField]] else {
                throw ClearingError(
                    .contentMismatch, "\(role) has no account in the manifest", file: file, location: "\(location) \(role)", found: fields[idField])
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

    func checkPain001(
        _ manifest: SettlementManifest, _ contents: [String: [UInt8]], _ instructions: [SettlementInstruction]
    ) throws(ClearingError) {
        let name = SettlementFileName.pain001(cycle: cycle)
        guard let bytes = contents[name] else {
            throw ClearingError(
                .contentMismatch, "the manifest lists no pain.001 file", file: SettlementFileName.manifest(cycle: cycle), location: "files",
                expected: name)
        }
        let summary = try Pain001Summary.parse(bytes, file: name)
        let exponent = manifest.currency.minor_unit_exponent
        guard (0...MinorUnits.maximumExponent).contains(exponent) else {
            throw ClearingError(
                .malformedFile, "unsupported minor-unit exponent", file: SettlementFileName.manifest(cycle: cycle),
                location: "currency.minor_unit_exponent", found: String(exponent))
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

    func checkPartitions(_ manifest: SettlementManifest) throws(ClearingError) {
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

    func checkStatements(_ manifest: SettlementManifest, _ contents: HashedFiles) throws(ClearingError) {
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
    static func line(startingWith prefix: [UInt8], in bytes: [UInt8]) -> (Int, String)? {
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
}
