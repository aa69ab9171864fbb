import ArgumentParser
import Foundation
import Programme

struct ProgrammeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "programme",
        abstract: "Check a programme file, print the sample one, or publish a version into the log.",
        subcommands: [Check.self, Sample.self, Publish.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a programme file; list every problem with its field path.",
            discussion: "Run it before rolling a new programme version out to the nodes: every node refuses to start on an invalid file."
        )

        @Argument(help: "Programme file (JSON).") var file: String

        func run() async throws {
            do {
                let programme = try Programme.load(path: file)
                print(
                    "\(file): valid; version \(programme.version), \(programme.partners.count) partners, currency \(programme.currency), point value \(programme.pointValueMinor) minor unit(s), points expire \(programme.expiryPolicy.describe(expiryMonths: programme.expiryMonths))"
                )
                for line in ProgrammeCommand.rules(programme) { print("  " + line) }
            } catch {
                FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    /// What the file's rules sections configure, a line each (none for a plain file).
    static func rules(_ programme: Programme) -> [String] {
        var lines: [String] = []
        if programme.statuses.isEnabled {
            lines.append("statuses: " + programme.statuses.levels.map(\.name).joined(separator: " / "))
        }
        let pending = programme.partners.filter { $0.pendingDays > 0 }
        if !pending.isEmpty {
            lines.append("pending points: " + pending.map { "\($0.id) \($0.pendingDays) days" }.joined(separator: ", "))
        }
        if !programme.promotions.isEmpty {
            lines.append(
                "promotions: "
                    + programme.promotions.map {
                        $0.funder.isEmpty ? "\($0.id) (\($0.kind.rawValue))" : "\($0.id) (\($0.kind.rawValue), funded by \($0.funder))"
                    }.joined(separator: ", "))
        }
        let redemption = programme.partners.filter { $0.redemption != RedemptionRules() }
        if !redemption.isEmpty {
            lines.append("redemption rules: " + redemption.map { "\($0.id) (\(Self.describe($0.redemption)))" }.joined(separator: ", "))
        }
        if let days = programme.claimWindowDays { lines.append("retro-claims within \(days) days") }
        if let horizon = programme.idempotencyHorizonDays, let window = programme.reversalWindowDays {
            let summaries = programme.archivesCycleSummaries ? ", with their cycles' summaries" : ""
            lines.append("archived: rows past the \(horizon)-day horizon and the \(window)-day reversal window\(summaries)")
        }
        lines.append("cards: up to \(programme.maxCardsPerAccount) per account")
        return lines + economics(programme)
    }

    /// The partner-economics lines (docs/finance.md): funding models, deposits, caps,
    /// fixed fees, and the partners that only take points. None for a plain file.
    static func economics(_ programme: Programme) -> [String] {
        let money = { (minor: Int64) in "\(Format.money(minor, exponent: programme.currencyExponent)) \(programme.currency)" }
        var lines: [String] = []
        let funded = programme.partners.filter { $0.kind == .merchant && $0.fundingModel == .operatorFunded }
        if !funded.isEmpty { lines.append("operator-funded (points bought at accrual): " + funded.map(\.id).joined(separator: ", ")) }
        let deposits = programme.partners.compactMap { p in p.deposit.map { (p.id, $0) } }
        if !deposits.isEmpty {
            lines.append(
                "deposits: "
                    + deposits.map { id, d in
                        "\(id) \(money(d.amountMinor)) (\(money(d.frozenMinor)) frozen, \(d.whenExhausted.rawValue) when exhausted)"
                    }
                    .joined(separator: ", "))
        }
        let caps = programme.partners.compactMap { p in p.exposureCapMinor.map { "\(p.id) \(money($0))" } }
        if !caps.isEmpty { lines.append("exposure caps: " + caps.joined(separator: ", ")) }
        let fees = programme.partners.filter { $0.fees.perRedemptionMinor > 0 || $0.cycleFeeMinor > 0 }
        if !fees.isEmpty {
            lines.append(
                "fixed fees: "
                    + fees.map { p in
                        "\(p.id) "
                            + [
                                p.fees.perRedemptionMinor > 0 ? "\(money(p.fees.perRedemptionMinor)) per redemption" : nil,
                                p.cycleFeeMinor > 0 ? "\(money(p.cycleFeeMinor)) per cycle" : nil,
                            ].compactMap { $0 }.joined(separator: " and ")
                    }.joined(separator: ", "))
        }
        let catalogue = programme.partners.filter { $0.kind == .catalogue }
        if !catalogue.isEmpty { lines.append("catalogue: " + catalogue.map(\.id).joined(separator: ", ")) }
        let exchange = programme.partners.compactMap { p in
            p.exchange.map { "\(p.id) (\($0.blockPoints) points → \($0.milesPerBlock) \($0.unit))" }
        }
        if !exchange.isEmpty { lines.append("exchange partners: " + exchange.joined(separator: ", ")) }
        if !programme.companies.isEmpty {  // Ledger+Companies.swift
            lines.append("companies: " + programme.companies.all.map { LedgerCommand.Inspect.companyLine($0) }.joined(separator: "; "))
        }
        return lines
    }

    /// "min 1000 points, at most 50 % of a bill, 2 rewards, a point worth 25".
    static func describe(_ rules: RedemptionRules) -> String {
        var parts: [String] = []
        if rules.minPoints > 0 { parts.append("min \(rules.minPoints) points") }
        if let share = rules.maxBillShareBasisPoints { parts.append("at most \(Double(share) / 100) % of a bill") }
        if !rules.rewards.isEmpty { parts.append("\(rules.rewards.count) reward\(rules.rewards.count == 1 ? "" : "s")") }
        if let value = rules.pointValueMinor { parts.append("a point worth \(value) in settlement") }
        return parts.joined(separator: ", ")
    }

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the built-in sample programme (8 partners) as JSON.")

        func run() async throws {
            print(Programme.sampleJSON)
        }
    }
}
