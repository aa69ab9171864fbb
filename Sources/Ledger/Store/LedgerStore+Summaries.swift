import LedgerArchive
import Programme
import SQLite

/// A sealed cycle's summaries (docs/design.md, "Bounded hot state"): the rows its position
/// publishes besides its counts and digest. They are hot until an archive takes them, which
/// it does only when the programme sets `archive_cycle_summaries`; then the position of an
/// archived cycle, and the shard's totals, read them from that archive file.
extension LedgerStore {
    /// The summary tables, as an archive holds them (`ArchivePlan.summariesFrom`); `cycles`
    /// rows stay hot.
    static let summaryTables = [
        ArchivedTable(name: "debts", columns: ["cycle", "payer", "payee", "amount_minor"], orderBy: "cycle, payer, payee"),
        ArchivedTable(
            name: "partner_stats",
            columns: [
                "cycle", "partner_id", "issued", "redeemed", "expired", "clawed_back", "fees_minor", "promoted", "outstanding",
                "redemption_fees_minor", "funded_minor",
            ], orderBy: "cycle, partner_id"),
        ArchivedTable(
            name: "conversions",
            columns: ["offset", "cycle", "partner_id", "partner_txn_id", "member_id", "external_member_id", "points", "miles"],
            orderBy: "offset"),
        ArchivedTable(name: "cycle_programme_versions", columns: ["cycle", "seq", "version"], orderBy: "cycle, seq"),
    ]

    /// SQL: the rows of `table` (one of `summaryTables`) of the sealed cycles whose barrier
    /// is in ?1...?2: what an archive takes, sums into the archived totals and deletes. A
    /// conversion's offset is inside its cycle, so the range says it.
    static func summaryCondition(_ table: String) -> String {
        table == "conversions"
            ? "offset BETWEEN ?1 AND ?2" : "cycle IN (SELECT cycle FROM cycles WHERE barrier_offset BETWEEN ?1 AND ?2)"
    }

    /// Where the next archive's summaries start: after the newest archive before `cycle`
    /// that took summaries (0: none did).
    func summariesFrom(before cycle: Int64) throws(LedgerError) -> Int64 {
        let s = try db.prepare("SELECT last_offset FROM archives WHERE summary_rows >= 0 AND cycle < ? ORDER BY cycle DESC LIMIT 1")
        defer { s.reset() }
        s.bindInteger(1, cycle)
        return try s.step() ? s.int64(0) + 1 : 0
    }

    /// The archive holding the summaries of the cycle whose barrier is at `barrierOffset`,
    /// once they left the hot tables: the first archive that took summaries through that
    /// offset, unless its rows are still hot (`archived_rows_left`). nil: they are hot.
    func summaryArchive(holding barrierOffset: Int64) throws(LedgerError) -> ArchiveRecord? {
        let s = try db.prepare(
            """
            SELECT cycle, cycle IN (SELECT cycle FROM archived_rows_left) FROM archives
            WHERE summary_rows >= 0 AND last_offset >= ? AND file != '' ORDER BY cycle LIMIT 1
            """)
        s.bindInteger(1, barrierOffset)
        let found = try s.step() ? (cycle: s.int64(0), hot: s.int64(1) != 0) : nil
        s.reset()
        guard let found, !found.hot else { return nil }
        return try archiveRecords(cycle: found.cycle).first
    }

    /// Reads `record`'s file, checked against the hash the shard recorded.
    func readArchive(_ record: ArchiveRecord) throws(LedgerError) -> ArchiveContent {
        do {
            return try ArchiveFile.read(archiveDirectory + "/" + record.file, expectedSHA256: record.fileSHA256)
        } catch {
            throw LedgerError(.corrupt, "\(error); cycle summaries of cycle \(record.cycle) and before are read from it")
        }
    }

    /// The summary tables of `cycle` (barrier at `barrierOffset`), hot or archived, in
    /// the archive's canonical order. `files` keeps the last archive read, for a caller
    /// reading cycle after cycle.
    func cycleSummaries(
        cycle: Int64, barrierOffset: Int64, files: inout (file: String, content: ArchiveContent)?
    ) throws(LedgerError) -> [ArchiveContent.Table] {
        if let record = try summaryArchive(holding: barrierOffset) {
            let content: ArchiveContent
            if let files, files.file == record.file {
                content = files.content
            } else {
                content = try readArchive(record)
                files = (record.file, content)
            }
            return Self.summaryTables.map { summary in
                var table = content.table(summary.name) ?? ArchiveContent.Table(name: summary.name, columns: summary.columns)
                table.rows = table.rows.filter { table.value("cycle", in: $0)?.integer == cycle }
                return table
            }
        }
        return try Self.summaryTables.map { summary throws(LedgerError) in
            let columns = summary.columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let s = try db.prepareDynamic("SELECT \(columns) FROM \(summary.name) WHERE cycle = ? ORDER BY \(summary.orderBy)")
            defer { s.reset() }
            s.bindInteger(1, cycle)
            return ArchiveContent.Table(name: summary.name, columns: summary.columns, rows: try Self.readRows(s, summary))
        }
    }

    /// Puts a cycle's summary tables into its position.
    static func fill(_ position: inout CyclePosition, from tables: [ArchiveContent.Table]) {
        for table in tables {
            func integer(_ column: String, _ row: [ArchiveContent.Value]) -> Int64 { table.value(column, in: row)?.integer ?? 0 }
            func text(_ column: String, _ row: [ArchiveContent.Value]) -> String { table.value(column, in: row)?.text ?? "" }
            for row in table.rows {
                switch table.name {
                case "debts":
                    position.debts.append(DebtTotal(payer: text("payer", row), payee: text("payee", row), amountMinor: integer("amount_minor", row)))
                case "partner_stats":
                    position.points.append(
                        PartnerPoints(
                            partnerId: text("partner_id", row), issued: integer("issued", row), redeemed: integer("redeemed", row),
                            expired: integer("expired", row), clawedBack: integer("clawed_back", row), feesMinor: integer("fees_minor", row),
                            promoted: integer("promoted", row), outstanding: integer("outstanding", row),
                            redemptionFeesMinor: integer("redemption_fees_minor", row), fundedMinor: integer("funded_minor", row)))
                case "conversions":
                    position.conversions.append(
                        Conversion(
                            partnerId: text("partner_id", row), partnerTxnId: text("partner_txn_id", row), memberId: text("member_id", row),
                            externalMemberId: text("external_member_id", row), points: integer("points", row), miles: integer("miles", row),
                            offset: integer("offset", row)))
                case "cycle_programme_versions": position.programmeVersions.append(text("version", row))
                default: break
                }
            }
        }
    }

    /// Adds the partner_stats and debts an archive took (barriers in `from...last`, about
    /// to be deleted) to the archived totals.
    func addToArchivedTotals(from: Int64, through last: Int64) throws(LedgerError) {
        try db.prepareDynamic(
            """
            INSERT INTO archived_partner_totals (partner_id, issued, redeemed, expired, clawed_back, fees_minor, promoted)
            SELECT partner_id, SUM(issued), SUM(redeemed), SUM(expired), SUM(clawed_back), SUM(fees_minor), SUM(promoted)
            FROM partner_stats WHERE \(Self.summaryCondition("partner_stats")) GROUP BY partner_id
            ON CONFLICT (partner_id) DO UPDATE SET issued = issued + excluded.issued, redeemed = redeemed + excluded.redeemed,
            expired = expired + excluded.expired, clawed_back = clawed_back + excluded.clawed_back,
            fees_minor = fees_minor + excluded.fees_minor, promoted = promoted + excluded.promoted
            """
        ).bind(.integer(from), .integer(last)).run()
        try db.prepareDynamic(
            """
            INSERT INTO archived_debt_totals (payer, payee, amount_minor)
            SELECT payer, payee, SUM(amount_minor) FROM debts WHERE \(Self.summaryCondition("debts")) GROUP BY payer, payee
            ON CONFLICT (payer, payee) DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor
            """
        ).bind(.integer(from), .integer(last)).run()
    }

    /// The archived totals as stored, as two tables shaped like `partner_stats` (no cycle)
    /// and `debts` (no cycle), for `totals` and `ledger verify`.
    func archivedTotals() throws(LedgerError) -> (partners: [[ArchiveContent.Value]], debts: [[ArchiveContent.Value]]) {
        let partners = ArchivedTable(
            name: "archived_partner_totals", columns: ["partner_id", "issued", "redeemed", "expired", "clawed_back", "fees_minor", "promoted"],
            orderBy: "partner_id")
        let debts = ArchivedTable(name: "archived_debt_totals", columns: ["payer", "payee", "amount_minor"], orderBy: "payer, payee")
        var result: [[[ArchiveContent.Value]]] = []
        for table in [partners, debts] {
            let s = try db.prepareDynamic("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.orderBy)")
            defer { s.reset() }
            result.append(try Self.readRows(s, table))
        }
        return (result[0], result[1])
    }

    /// The archived totals summed again from the archive files (each read once; not the
    /// archive whose rows are still hot), in `archivedTotals`' shape and order.
    func archivedTotalsFromFiles() throws(LedgerError) -> (partners: [[ArchiveContent.Value]], debts: [[ArchiveContent.Value]]) {
        let left = try readArchivedRowsLeft()?.plan.cycle
        let sums = ["issued", "redeemed", "expired", "clawed_back", "fees_minor", "promoted"]
        var partners: [String: [Int64]] = [:]
        var debts: [String: (payer: String, payee: String, amount: Int64)] = [:]
        for record in try archiveRecords() where record.summaryRows > 0 && record.cycle != left {
            let content = try readArchive(record)
            if let table = content.table("partner_stats") {
                for row in table.rows {
                    let id = table.value("partner_id", in: row)?.text ?? ""
                    var values = partners[id, default: Array(repeating: 0, count: sums.count)]
                    for (index, column) in sums.enumerated() { values[index] += table.value(column, in: row)?.integer ?? 0 }
                    partners[id] = values
                }
            }
            if let table = content.table("debts") {
                for row in table.rows {
                    let (payer, payee) = (table.value("payer", in: row)?.text ?? "", table.value("payee", in: row)?.text ?? "")
                    debts[payer + "\u{0}" + payee, default: (payer, payee, 0)].amount += table.value("amount_minor", in: row)?.integer ?? 0
                }
            }
        }
        return (
            partners.keys.sorted().map { id in [.text(id)] + partners[id]!.map { .integer($0) } },
            debts.keys.sorted().map { key in
                let debt = debts[key]!
                return [.text(debt.payer), .text(debt.payee), .integer(debt.amount)]
            }
        )
    }
}
