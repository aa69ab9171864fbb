import Clearing
import Foundation
import Programme

/// What `dev` prints of a settled cycle, read back from its files (so what is shown is
/// what finance gets).
struct SettlementSummary {
    let cycle: Int64
    let instructions: [(payer: String, payee: String, amountMinor: Int64)]
    let manifest: [String: Any]

    init(directory: String, cycle: Int64) throws {
        self.cycle = cycle
        let csv = try String(contentsOfFile: "\(directory)/\(SettlementFileName.instructions(cycle: cycle))", encoding: .utf8)
        instructions = csv.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 4, let amount = Int64(fields[3]) else { return nil }
            return (String(fields[1]), String(fields[2]), amount)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(SettlementFileName.manifest(cycle: cycle))"))
        manifest = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func render(programme: Programme) -> String {
        let exponent = programme.currencyExponent
        var rows = [["#", "payer", "payee", "amount (\(programme.currency))"]]
        for (index, instruction) in instructions.enumerated() {
            rows.append([String(index + 1), instruction.payer, instruction.payee, Format.money(instruction.amountMinor, exponent: exponent)])
        }
        let efficiency = manifest["netting_efficiency"] as? [String: Any] ?? [:]
        func int(_ key: String) -> Int64 { (efficiency[key] as? NSNumber)?.int64Value ?? 0 }
        let partitions = (manifest["partitions"] as? [[String: Any]])?.count ?? 0
        return """
            settlement of cycle \(cycle) (\(partitions) partitions):
            \(Format.table(rows))
            netting: \(int("gross_obligation_count")) gross obligations of \(Format.money(int("gross_amount_minor"), exponent: exponent)) \
            -> \(int("instruction_count")) payments moving \(Format.money(int("moved_amount_minor"), exponent: exponent)) \
            (\(Format.grouped(int("money_saved_basis_points") / 100)).\(String(format: "%02d", int("money_saved_basis_points") % 100)) % less money moved)
            """
    }
}
