import ClearingNode
import Ledger
import Programme

/// The tables `dev` and `ledger inspect` print.
enum Report {
    /// The outcomes, with the rejections by reason code (`reasons`, hot journal) under them.
    static func outcomes(_ shards: [ShardTotals], reasons: [String: Int64] = [:]) -> String {
        let accepted = shards.reduce(0) { $0 + $1.accepted }
        let rejected = shards.reduce(0) { $0 + $1.rejected }
        let duplicates = shards.reduce(0) { $0 + $1.duplicates }
        let deadLetters = shards.reduce(0) { $0 + $1.deadLetters }
        var rows = [
            ["outcome", "transactions"],
            ["accepted", Format.grouped(accepted)],
            ["rejected (reason code in the result)", Format.grouped(rejected)],
        ]
        // Most frequent first, then by name.
        for (reason, count) in reasons.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            rows.append(["  \(reason)", Format.grouped(count)])
        }
        rows += [
            ["duplicate (original outcome returned)", Format.grouped(duplicates)],
            ["dead-lettered (undecodable)", Format.grouped(deadLetters)],
        ]
        return Format.table(rows)
    }

    static func partners(_ shards: [ShardTotals], programme: Programme) -> String {
        var rows = [["partner", "points issued", "redeemed at it", "expired", "clawed back", "outstanding", "operator fees (\(programme.currency))"]]
        for sum in shards.flatMap(\.partners).summedByPartner() {
            rows.append([
                sum.partnerId, Format.grouped(sum.issued), Format.grouped(sum.redeemed), Format.grouped(sum.expired),
                Format.grouped(sum.clawedBack), Format.grouped(sum.outstanding),
                Format.money(sum.feesMinor, exponent: programme.currencyExponent),
            ])
        }
        return rows.count == 1 ? "no partner activity" : Format.table(rows)
    }

    /// What the programme's rules did: members by status (at `time`), points
    /// pending, breakage by issuer, promotion costs by funder — each line where the
    /// programme has the rule (breakage always: it says so when nothing expired).
    static func programmeRules(_ members: MemberSummary, _ shards: [ShardTotals], programme: Programme, at time: Int64) -> String {
        var lines: [String] = []
        let value = { (points: Int64) in
            "\(Format.money(points * programme.pointValueMinor, exponent: programme.currencyExponent)) \(programme.currency)"
        }
        func figures(_ items: [(String, Int64)]) -> String {
            items.map { "\($0.0) \(Format.grouped($0.1)) (\(value($0.1)))" }.joined(separator: ", ")
        }
        if programme.statuses.isEnabled {
            let counts = programme.statuses.levels.map { "\($0.name) \(Format.grouped(members.byStatus[$0.name] ?? 0))" }
            lines.append("members by status (at \(Timestamp.iso(time))): " + counts.joined(separator: ", "))
        }
        if programme.partners.contains(where: { $0.pendingDays > 0 }) {
            lines.append("points pending in partners' return windows (at \(Timestamp.iso(time))): \(Format.grouped(members.pendingPoints))")
        }
        let sums = shards.flatMap(\.partners).summedByPartner()
        let breakage = sums.filter { $0.expired > 0 }.map { ($0.partnerId, $0.expired) }
        lines.append("breakage (points expired unused, by issuer): " + (breakage.isEmpty ? "none" : figures(breakage)))
        if !programme.promotions.isEmpty {
            let promoted = sums.filter { $0.promoted != 0 }.map { ($0.partnerId, $0.promoted) }
            lines.append("promotion costs (bonus points issued, by funder): " + (promoted.isEmpty ? "none" : figures(promoted)))
        }
        return lines.joined(separator: "\n")
    }

    /// Cross-partner debts over all cycles as a payer x payee matrix: issuer -> redeemer
    /// for points, partner -> operator for fees. Self-debts (points spent where they
    /// were earned) are recorded but never settled, so they are left out.
    static func debts(_ shards: [ShardTotals], programme: Programme) -> String {
        var sums: [String: [String: Int64]] = [:]
        for debt in shards.flatMap(\.debts) where debt.payer != debt.payee {
            sums[debt.payer, default: [:]][debt.payee, default: 0] += debt.amountMinor
        }
        let payers = sums.keys.sorted()
        let payees = Set(sums.values.flatMap(\.keys)).sorted { lhs, rhs in
            // The operator's column last: it holds the fees.
            (lhs == programme.operatorId ? 1 : 0, lhs) < (rhs == programme.operatorId ? 1 : 0, rhs)
        }
        guard !payers.isEmpty else { return "no cross-partner debts" }
        var rows = [["owes \u{2192}"] + payees + ["total"]]
        var grand: Int64 = 0
        for payer in payers {
            let row = payees.map { sums[payer]?[$0] ?? 0 }
            let total = row.reduce(0, +)
            grand += total
            rows.append(
                [payer] + row.map { $0 == 0 ? "." : Format.money($0, exponent: programme.currencyExponent) }
                    + [Format.money(total, exponent: programme.currencyExponent)])
        }
        return "gross debts before netting, \(programme.currency) (row owes column; "
            + "total \(Format.money(grand, exponent: programme.currencyExponent))):\n" + Format.table(rows)
    }

    static func cycles(_ cycles: [CycleRecord]) -> String {
        let next = (cycles.last?.cycle ?? 0) + 1
        var rows = [["cycle", "status", "closed at (UTC)", "positions", "waiting for / reason", "instructions"]]
        for record in cycles {
            let detail: String
            switch record.status {
            case .closing:
                detail =
                    record.barriersSent
                    ? (record.waitingFor.isEmpty ? "checking" : "partitions " + record.waitingFor.map(String.init).joined(separator: ","))
                    : "barriers not yet written"
            case .settling: detail = "publishing instruction events"
            case .settled: detail = "manifest " + String((record.manifestSHA256 ?? "").prefix(16)) + "…"
            case .failed: detail = record.reason ?? ""
            }
            rows.append([
                String(record.cycle), record.status.rawValue, Timestamp.iso(record.closedAtMilliseconds),
                "\(record.positionsReceived.count)/\(record.partitions)", detail, record.instructionCount.map(String.init) ?? "",
            ])
        }
        rows.append([String(next), "OPEN", "", "", "collecting transactions", ""])
        return Format.table(rows)
    }

    /// The stored lots, each marked `due` when it expired by `time` (storage expires lazily:
    /// at the member's next accepted transaction or the next barrier), and the balance
    /// spendable at `time`, the one every result and balance answer then reports.
    /// `spendable` and `pending`: the balance answer at `time` (`Shard.balanceAnswer`).
    static func member(
        _ view: MemberView, spendable: Int64, pending: Int64, at time: Int64, partition: Int32, programme: Programme
    ) -> String {
        var rows = [["lot", "issuer", "points left", "expires (UTC)", "created (UTC)", ""]]
        for lot in view.lots {
            rows.append([
                String(lot.lotId), lot.issuer, Format.grouped(lot.pointsLeft),
                Timestamp.iso(lot.expiresAtMilliseconds), Timestamp.iso(lot.createdAtMilliseconds),
                lot.expiresAtMilliseconds <= time ? "due" : "",
            ])
        }
        let due = view.balance - spendable - pending
        return """
            member \(view.memberId) (partition \(partition)): balance \(Format.grouped(spendable)) points spendable at \(Timestamp.iso(time))\
            \(due > 0 ? " (\(Format.grouped(due)) more stored in lots due by then, not yet swept)" : "")\
            \(view.shortfall > 0 ? ", shortfall \(Format.grouped(view.shortfall))" : "")
            \(Format.table(rows))
            """
    }
}

/// UTC timestamps for people, with integer civil-date arithmetic (no time zones).
enum Timestamp {
    static func iso(_ milliseconds: Int64) -> String {
        if milliseconds == Programme.neverExpires { return "never" }
        return CivilTime.iso8601(milliseconds: milliseconds, fractional: false)
    }
}
