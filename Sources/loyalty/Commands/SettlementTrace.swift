import ArgumentParser
import Clearing
import Foundation
import Ledger
import Programme

extension SettlementCommand {
    struct Trace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the transactions behind a settled amount; their sum equals it.",
            discussion: """
                With --payer A --payee B: every debt between A and B in the cycle, read from \
                the shard files' journals (--data), plus the clearing's own lines (cycle fees, \
                deposit drawn, from the cycle's manifest in --settlement), signed A->B positive \
                and B->A negative. Their total is the bilateral amount A owes B (negative: B \
                owes A), checked against the statement of A (or of B when A is the operator). \
                With --payer A alone: every line of A's net position (what it receives \
                positive, what it pays negative), checked against the manifest's net position. \
                Instructions settle net positions, not bilateral amounts: the end lists the \
                cycle's instructions that involve A or B. Exits non-zero when the sum differs. \
                Cycles whose journal rows were archived cannot be traced. Run `loyalty settlement \
                verify` first to know the files are the operator's. See docs/finance.md.
                """
        )

        @Argument(help: "The settled cycle.") var cycle: Int64
        @Option(help: "The paying participant (or, alone, the participant whose net position is traced).") var payer: String
        @Option(help: "The receiving participant.") var payee: String?
        @Option(help: "Directory of the shard files (every partition's).") var data = "var/worker"
        @Option(help: "Directory of the settlement files.") var settlement = "var/settlement"
        @OptionGroup var programme: ProgrammeOption

        func validate() throws {
            guard cycle >= 1 else { throw ValidationError("cycle: cycles are numbered from 1, got \(cycle)") }
            if let payee, payee == payer { throw ValidationError("payee: must differ from --payer (self-debts are never settled)") }
        }

        func run() async throws {
            let manifest = try readManifest()
            guard manifest.accounts[payer] != nil else { throw CLIError("payer: \(payer) has no account in cycle \(cycle)'s manifest") }
            if let payee, manifest.accounts[payee] == nil {
                throw CLIError("payee: \(payee) has no account in cycle \(cycle)'s manifest")
            }
            let entries = try shardEntries(programme: try programme.load()) + clearingEntries(manifest)
            let result: TraceResult
            let expected: Int64
            let figure: String
            if let payee {
                result = try PartnerEconomics.trace(entries, payer: payer, payee: payee)
                (expected, figure) = try statedBilateral(manifest, payee: payee)
            } else {
                result = try PartnerEconomics.trace(entries, participant: payer)
                expected = manifest.net_positions[payer] ?? 0
                figure = "net position of \(payer) in cycle-\(cycle)-manifest.json"
            }
            for (entry, signed) in result.lines {
                print("\(signed >= 0 ? "+" : "")\(signed)\t\(entry.payer) -> \(entry.payee)\t\(entry.what)")
            }
            let heading = payee.map { "\(payer) -> \($0)" } ?? "net position of \(payer)"
            print("total \(heading): \(result.totalMinor) minor units over \(result.lines.count) lines")
            guard result.totalMinor == expected else {
                throw CLIError("the traced lines sum to \(result.totalMinor), but the \(figure) is \(expected)")
            }
            print("equals the \(figure)")
            try explainInstructions(manifest)
        }

        private func readManifest() throws -> SettlementManifest {
            let path = "\(settlement)/\(SettlementFileName.manifest(cycle: cycle))"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIError("no manifest of cycle \(cycle) at \(path): is the cycle settled, and --settlement the node's --out?")
            }
            do {
                return try JSONDecoder().decode(SettlementManifest.self, from: data)
            } catch {
                throw CLIError("\(path) is not a settlement manifest: \(error)")
            }
        }

        /// Every transaction debt of the cycle in every shard, by partition and offset.
        private func shardEntries(programme: Programme) throws -> [TraceEntry] {
            let files = try ShardFiles.list(in: data)
            guard !files.isEmpty else { throw CLIError("no shard files in \(data)") }
            var entries: [TraceEntry] = []
            for file in files {
                let shard = try Shard(path: file.path, partition: file.partition, programme: programme)
                defer { shard.close() }
                guard let debts = try shard.tracedDebts(cycle: cycle) else {
                    throw CLIError("partition \(file.partition) (\(file.path)) has not sealed cycle \(cycle)")
                }
                for debt in debts {
                    entries.append(
                        TraceEntry(
                            payer: debt.payer, payee: debt.payee, amountMinor: debt.amountMinor,
                            what:
                                "partition \(file.partition) offset \(debt.offset) \(debt.kind) \(debt.partnerId)/\(debt.partnerTxnId) member \(debt.memberId)"
                        ))
                }
            }
            return entries
        }

        /// The clearing's lines, from the manifest's partner economics.
        private func clearingEntries(_ manifest: SettlementManifest) -> [TraceEntry] {
            var entries: [TraceEntry] = []
            for (partner, economics) in (manifest.partner_economics ?? [:]).sorted(by: { $0.key < $1.key }) {
                if economics.fees.cycle_minor != 0 {
                    entries.append(
                        TraceEntry(payer: partner, payee: manifest.operator_id, amountMinor: economics.fees.cycle_minor, what: "cycle fee"))
                }
                if let drawn = economics.deposit?.drawn_minor, drawn != 0 {
                    entries.append(
                        TraceEntry(
                            payer: partner, payee: manifest.operator_id, amountMinor: -drawn,
                            what: "deposit drawn (paid the value of the points it issued)"))
                }
            }
            return entries
        }

        /// The bilateral amount payer→payee its statement states (the payee's when the
        /// payer is the operator, which has no statement).
        private func statedBilateral(_ manifest: SettlementManifest, payee: String) throws -> (Int64, String) {
            let fromPayee = payer == manifest.operator_id
            let holder = fromPayee ? payee : payer
            let name = SettlementFileName.statement(cycle: cycle, partner: holder)
            guard let data = FileManager.default.contents(atPath: "\(settlement)/\(name)"),
                let amount = PartnerEconomics.bilateralMinor(
                    statement: String(decoding: data, as: UTF8.self), counterparty: fromPayee ? payer : payee, fromPayeeSide: fromPayee)
            else { throw CLIError("cannot read \(settlement)/\(name)") }
            return (amount, "bilateral amount \(payer) -> \(payee) in \(name)")
        }

        private func explainInstructions(_ manifest: SettlementManifest) throws {
            let name = SettlementFileName.instructions(cycle: cycle)
            guard let data = FileManager.default.contents(atPath: "\(settlement)/\(name)") else { return }
            let involved = Set([payer] + (payee.map { [$0] } ?? []))
            let rows = String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst().compactMap { line -> String? in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count >= 4, involved.contains(String(fields[1])) || involved.contains(String(fields[2])) else { return nil }
                return "  #\(fields[0]) \(fields[1]) pays \(fields[2]) \(fields[3])"
            }
            let positions = involved.sorted().map { "\($0) \(manifest.net_positions[$0] ?? 0)" }.joined(separator: ", ")
            print(
                "instructions (\(manifest.instruction_mode)) settle net positions (\(positions)), not bilateral amounts: "
                    + "\(rows.isEmpty ? "none involves them" : "\(rows.count) involve\(rows.count == 1 ? "s" : "") them")")
            for row in rows { print(row) }
        }
    }
}
