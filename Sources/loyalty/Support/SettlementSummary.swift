import Clearing
import Foundation
import Programme

/// What `dev` prints of a settled cycle, read back from its files (so what is shown is
/// what finance gets).
struct SettlementSummary {
    let cycle: Int64
    let instructions: [(payer: String, payee: String, amountMinor: Int64)]
    /// The cycle's manifest, decoded as the verifier reads it.
    let manifest: SettlementManifest
    /// The partners' economics (manifest format 2), by partner id.
    let economics: [String: SettlementManifest.PartnerEconomicsField]
    let totals: SettlementManifest.EconomicsTotals?
    /// Each exchange partner's conversion file: its name and `total` row (points, miles,
    /// conversions), by partner id.
    let conversions: [String: (file: String, points: Int64, miles: Int64, count: Int64)]

    init(directory: String, cycle: Int64) throws {
        self.cycle = cycle
        let csv = try String(contentsOfFile: "\(directory)/\(SettlementFileName.instructions(cycle: cycle))", encoding: .utf8)
        instructions = csv.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 4, let amount = Int64(fields[3]) else { return nil }
            return (String(fields[1]), String(fields[2]), amount)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(SettlementFileName.manifest(cycle: cycle))"))
        let decoded = try JSONDecoder().decode(SettlementManifest.self, from: data)
        manifest = decoded
        economics = decoded.partner_economics ?? [:]
        totals = decoded.economics_totals
        var conversions: [String: (file: String, points: Int64, miles: Int64, count: Int64)] = [:]
        for name in decoded.files.keys where name.hasPrefix("cycle-\(cycle)-conversions-") {
            let partner = String(name.dropFirst("cycle-\(cycle)-conversions-".count).dropLast(".csv".count))
            let text = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
            // The last row: total,,points,miles,count,
            if let total = text.split(separator: "\n").last?.split(separator: ",", omittingEmptySubsequences: false), total.count >= 5,
                total[0] == "total", let points = Int64(total[2]), let miles = Int64(total[3]), let count = Int64(total[4])
            {
                conversions[partner] = (name, points, miles, count)
            }
        }
        self.conversions = conversions
    }

    /// Partners whose deposit closed the cycle below its low threshold.
    var lowDeposits: [String] { totals?.low_deposits ?? [] }

    func render(programme: Programme) -> String {
        let exponent = programme.currencyExponent
        var rows = [["#", "payer", "payee", "amount (\(programme.currency))"]]
        for (index, instruction) in instructions.enumerated() {
            rows.append([String(index + 1), instruction.payer, instruction.payee, Format.money(instruction.amountMinor, exponent: exponent)])
        }
        let efficiency = manifest.netting_efficiency
        let partitions = manifest.partitions.count
        return """
            settlement of cycle \(cycle) (\(partitions) partitions):
            \(Format.table(rows))
            netting: \(efficiency.gross_obligation_count) gross obligations of \(Format.money(efficiency.gross_amount_minor, exponent: exponent)) \
            -> \(efficiency.instruction_count) payments moving \(Format.money(efficiency.moved_amount_minor, exponent: exponent)) \
            (\(Format.grouped(efficiency.money_saved_basis_points / 100)).\(String(format: "%02d", efficiency.money_saved_basis_points % 100)) % less money moved)
            \(renderEconomics(programme: programme))
            """
    }

    /// A merchant's funding model; the kind of a partner that only takes points.
    private func model(_ partner: String, _ e: SettlementManifest.PartnerEconomicsField, _ programme: Programme) -> String {
        switch programme.partner(partner)?.kind {
        case .catalogue?: return "catalogue"
        case .exchange?: return "exchange"
        default: return e.funding_model == "operator_funded" ? "operator-funded" : "on redemption"
        }
    }

    /// Each partner's funding model, fees, breakage, deposit and exposure in the cycle
    /// (docs/finance.md, "Statement and manifest fields"), and the flags finance acts on.
    func renderEconomics(programme: Programme) -> String {
        guard !economics.isEmpty else { return "" }
        let exponent = programme.currencyExponent
        func money(_ minor: Int64) -> String { Format.money(minor, exponent: exponent) }
        var rows = [["partner", "model", "issued", "funded", "fees acc/red/cycle", "breakage (kept by)", "deposit open → close", "exposure / cap"]]
        for partner in economics.keys.sorted() {
            let e = economics[partner]!
            var deposit = "–"
            if let d = e.deposit {
                var flags: [String] = []
                if d.low != 0 { flags.append("LOW") }
                if d.exhausted != 0 { flags.append("EXHAUSTED") }
                if d.accruals_suspended != 0 { flags.append("SUSPENDED") }
                let topUps = d.topped_up_minor > 0 ? " +\(money(d.topped_up_minor))" : ""
                deposit = "\(money(d.opening_minor))\(topUps) → \(money(d.closing_minor))" + (flags.isEmpty ? "" : " " + flags.joined(separator: ","))
            }
            let cap = e.exposure.cap_minor.map { " / \(money($0))" + (e.exposure.over_cap != 0 ? " OVER" : "") } ?? ""
            let breakage = e.breakage.value_minor == 0 ? "0" : "\(money(e.breakage.value_minor)) (\(e.breakage.kept_by))"
            rows.append([
                partner, model(partner, e, programme), Format.grouped(e.points.issued),
                money(e.funded_minor), "\(money(e.fees.accrual_minor))/\(money(e.fees.redemption_minor))/\(money(e.fees.cycle_minor))",
                breakage, deposit, money(e.exposure.value_minor) + cap,
            ])
        }
        var lines = ["partner economics (\(programme.currency); issued in points):", Format.table(rows)]
        if let totals {
            lines.append(
                "breakage kept: operator \(money(totals.breakage_kept_by_operator_minor)), issuers \(money(totals.breakage_kept_by_partners_minor)); deposits drawn \(money(totals.deposit_drawn_minor)); exposure \(money(totals.exposure_value_minor))"
            )
            let flags = [
                ("low deposits", totals.low_deposits), ("exhausted", totals.exhausted_deposits),
                ("accruals suspended by the barrier closing this cycle", totals.accruals_suspended), ("over exposure cap", totals.over_exposure_cap),
            ].filter { !$0.1.isEmpty }.map { "\($0.0): \($0.1.joined(separator: ", "))" }
            if !flags.isEmpty { lines.append("flagged: " + flags.joined(separator: "; ")) }
        }
        for partner in conversions.keys.sorted() {
            let c = conversions[partner]!
            let unit = programme.partner(partner)?.exchange?.unit ?? "miles"
            lines.append(
                "conversions at \(partner): \(Format.grouped(c.count)), \(Format.grouped(c.points)) points → \(Format.grouped(c.miles)) \(unit) (\(c.file))"
            )
        }
        return lines.joined(separator: "\n")
    }
}
