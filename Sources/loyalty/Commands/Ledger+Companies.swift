import Ledger
import Programme

/// Company accounts in `loyalty ledger inspect` (docs/programme.md, "Company accounts"):
/// which company an account is, and one line per company under the shards' totals.
extension LedgerCommand.Inspect {
    /// "acme (Acme Ltd), account co-acme: 10 % of its 2 employee(s)' purchases at hotel; 1 authorised user(s)".
    static func companyLine(_ company: Company) -> String {
        let share = company.shareBasisPoints
        let percent = share % 100 == 0 ? "\(share / 100)" : "\(Double(share) / 100)"
        let earns =
            company.mode == .wholeBooking
            ? "whole bookings of its \(company.employees.count) employee(s)"
            : "\(percent) % of its \(company.employees.count) employee(s)' purchases"
        return "\(company.id) (\(company.name)), account \(company.accountMemberId): \(earns) at \(company.partnerIds.joined(separator: ", ")); "
            + "\(company.authorisedUsers.count) authorised user(s)"
    }

    /// The balances of the programme's company accounts held in `shard` (accounts with
    /// nothing in it left out).
    static func companyBalances(_ shard: Shard, programme: Programme) throws -> [String: Int64] {
        var balances: [String: Int64] = [:]
        for company in programme.companies.all {
            let view = try shard.member(company.accountMemberId)
            if view.balance != 0 || !view.lots.isEmpty { balances[company.id] = view.balance }
        }
        return balances
    }

    /// "companies:" and a line per company: its account and balance (points held, as stored).
    static func companyLines(_ balances: [String: Int64], programme: Programme) -> [String] {
        guard !programme.companies.isEmpty else { return [] }
        return ["companies:"]
            + programme.companies.all.map { company in
                "  \(company.id) (\(company.name)): account \(company.accountMemberId), "
                    + "\(Format.grouped(balances[company.id] ?? 0)) points, \(company.employees.count) employee(s)"
            }
    }
}
