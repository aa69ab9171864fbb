import Clearing
import Foundation
import Programme
import SQLite

/// Deposits in the clearing node's state (docs/finance.md, "Deposits"): top-ups recorded
/// by `loyalty clearing top-up`, each deposit's movements per settled cycle, and the
/// partners whose accruals each cycle's barrier suspended.
///
/// Top-ups wait (cycle NULL) until the next cycle closes, which takes them all. Deposit
/// rows are written when a cycle settles, recomputed identically if it settles again.
extension ClearingStore {
    /// Migration 2 of the clearing state.
    static let depositsMigration = """
        ALTER TABLE cycles ADD COLUMN accrual_suspended TEXT NOT NULL DEFAULT '';
        CREATE TABLE deposit_top_ups (
            sequence INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            partner TEXT NOT NULL,
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            cycle INTEGER
        );
        CREATE TABLE deposits (
            cycle INTEGER NOT NULL,
            partner TEXT NOT NULL,
            funding_model TEXT NOT NULL,
            opening_minor INTEGER NOT NULL,
            topped_up_minor INTEGER NOT NULL,
            drawn_minor INTEGER NOT NULL,
            closing_minor INTEGER NOT NULL,
            frozen_minor INTEGER NOT NULL,
            when_exhausted TEXT NOT NULL,
            exposure_minor INTEGER NOT NULL,
            exhausted INTEGER NOT NULL,
            PRIMARY KEY (cycle, partner)
        ) WITHOUT ROWID;
        """

    /// What recording a top-up did.
    enum TopUpRecord: Equatable {
        /// Recorded; the next cycle to close includes it.
        case recorded(sequence: Int64)
        /// The same reference, partner and amount were recorded before: nothing changed.
        case alreadyRecorded(cycle: Int64?)
    }

    /// Records a top-up under its payment reference, once: the same reference again with the
    /// same partner and amount changes nothing; with anything else it is refused.
    func recordTopUp(partner: String, amountMinor: Int64, reference: String) throws(ClearingNodeError) -> TopUpRecord {
        try db.inTransaction { () throws(ClearingNodeError) in
            let existing = try db.prepare("SELECT partner, amount_minor, cycle FROM deposit_top_ups WHERE reference = ?")
                .bind(.text(reference))
            defer { existing.reset() }
            if try existing.step() {
                guard existing.text(0) == partner, existing.int64(1) == amountMinor else {
                    throw ClearingNodeError(
                        "reference: \(reference) was already recorded as a top-up of \(existing.int64(1)) for \(existing.text(0)); "
                            + "a reference is used once (give this payment its own reference)")
                }
                return .alreadyRecorded(cycle: existing.isNull(2) ? nil : existing.int64(2))
            }
            existing.reset()
            try db.prepare("INSERT INTO deposit_top_ups (reference, partner, amount_minor) VALUES (?, ?, ?)")
                .bind(.text(reference), .text(partner), .integer(amountMinor)).run()
            let sequence = try db.prepare("SELECT MAX(sequence) FROM deposit_top_ups")
            defer { sequence.reset() }
            _ = try sequence.step()
            return .recorded(sequence: sequence.int64(0))
        }
    }

    /// Inside `openNextClosing`'s transaction: cycle `cycle` takes every waiting top-up,
    /// and its barrier's suspended list is decided and kept (so a resent barrier carries
    /// the same list): partners in refuse mode whose deposit, as the last settled cycle
    /// left it plus the top-ups now taken, has nothing to draw (operator-funded) or does not
    /// cover their exposure (on-redemption). Partners with no settled cycle yet are not
    /// suspended.
    func takeTopUpsAndDecideSuspensions(cycle: Int64) throws(ClearingNodeError) {
        try db.prepare("UPDATE deposit_top_ups SET cycle = ? WHERE cycle IS NULL").bind(.integer(cycle)).run()
        var suspended: [String] = []
        for last in try lastDeposits(before: cycle) {
            let deposit = Deposit(amountMinor: last.closingMinor, frozenMinor: last.frozenMinor, whenExhausted: last.whenExhausted)
            let pending = try topUps(cycle: cycle, partner: last.partner).reduce(Int64(0)) { $0 &+ $1.amountMinor }
            if PartnerEconomics.suspendsAccruals(
                deposit, model: last.fundingModel, closingMinor: last.closingMinor, pendingTopUpsMinor: pending,
                exposureValueMinor: last.exposureMinor)
            {
                suspended.append(last.partner)
            }
        }
        try db.prepare("UPDATE cycles SET accrual_suspended = ? WHERE cycle = ?")
            .bind(.text(suspended.joined(separator: ",")), .integer(cycle)).run()
    }

    /// The partners whose accruals the barrier of `cycle` suspends, in id order.
    func accrualSuspended(_ cycle: Int64) throws(ClearingNodeError) -> [String] {
        let statement = try db.prepare("SELECT accrual_suspended FROM cycles WHERE cycle = ?").bind(.integer(cycle))
        defer { statement.reset() }
        guard try statement.step() else { return [] }
        return statement.text(0).split(separator: ",").map(String.init)
    }

    /// The top-ups cycle `cycle` took for `partner`, in the order recorded.
    func topUps(cycle: Int64, partner: String) throws(ClearingNodeError) -> [DepositTopUp] {
        let statement = try db.prepare(
            "SELECT reference, amount_minor FROM deposit_top_ups WHERE cycle = ? AND partner = ? ORDER BY sequence"
        ).bind(.integer(cycle), .text(partner))
        defer { statement.reset() }
        var result: [DepositTopUp] = []
        while try statement.step() { result.append(DepositTopUp(reference: statement.text(0), amountMinor: statement.int64(1))) }
        return result
    }

    /// Top-ups no cycle has taken yet, in the order recorded.
    func waitingTopUps() throws(ClearingNodeError) -> [(partner: String, topUp: DepositTopUp)] {
        let statement = try db.prepare(
            "SELECT partner, reference, amount_minor FROM deposit_top_ups WHERE cycle IS NULL ORDER BY sequence")
        defer { statement.reset() }
        var result: [(partner: String, topUp: DepositTopUp)] = []
        while try statement.step() {
            result.append((statement.text(0), DepositTopUp(reference: statement.text(1), amountMinor: statement.int64(2))))
        }
        return result
    }

    /// A deposit as a settled cycle left it.
    struct DepositRow: Equatable {
        var cycle: Int64
        var partner: String
        var fundingModel: FundingModel
        var closingMinor: Int64
        var frozenMinor: Int64
        var whenExhausted: Deposit.WhenExhausted
        var exposureMinor: Int64
        var exhausted: Bool
    }

    /// Each partner's latest deposit row of a cycle before `cycle`, in partner order.
    func lastDeposits(before cycle: Int64) throws(ClearingNodeError) -> [DepositRow] {
        let statement = try db.prepare(
            """
            SELECT d.cycle, d.partner, d.funding_model, d.closing_minor, d.frozen_minor, d.when_exhausted, d.exposure_minor, d.exhausted
            FROM deposits d
            WHERE d.cycle = (SELECT MAX(cycle) FROM deposits e WHERE e.partner = d.partner AND e.cycle < ?1)
            ORDER BY d.partner
            """
        ).bind(.integer(cycle))
        defer { statement.reset() }
        var rows: [DepositRow] = []
        while try statement.step() {
            rows.append(
                DepositRow(
                    cycle: statement.int64(0), partner: statement.text(1),
                    fundingModel: FundingModel(rawValue: statement.text(2)) ?? .onRedemption, closingMinor: statement.int64(3),
                    frozenMinor: statement.int64(4), whenExhausted: Deposit.WhenExhausted(rawValue: statement.text(5)) ?? .owe,
                    exposureMinor: statement.int64(6), exhausted: statement.int64(7) != 0))
        }
        return rows
    }

    /// Adds the partner economics to a cycle's settlement input: every programme partner's
    /// terms, each deposit as the previous settled cycle closed it (the programme's amount
    /// in the partner's first cycle) with the top-ups this cycle took, and the partners the
    /// cycle's barrier suspended (those that still have a deposit).
    func addEconomics(to input: inout CycleSettlementInput, programme: Programme) throws(ClearingNodeError) {
        input.terms = programme.partners.map { PartnerTerms(partner: $0, programme: programme) }
        var closings: [String: Int64] = [:]
        for row in try lastDeposits(before: input.cycle) { closings[row.partner] = row.closingMinor }
        var withDeposit = Set<String>()
        input.deposits = []
        for partner in programme.partners {
            guard let deposit = partner.deposit else { continue }
            withDeposit.insert(partner.id)
            input.deposits.append(
                DepositOpening(
                    partnerId: partner.id, openingMinor: closings[partner.id] ?? deposit.amountMinor,
                    topUps: try topUps(cycle: input.cycle, partner: partner.id)))
        }
        input.accrualSuspended = try accrualSuspended(input.cycle).filter { withDeposit.contains($0) }
    }

    /// Keeps the deposits of settled `cycle` (replacing any rows of an earlier attempt).
    func recordDeposits(cycle: Int64, _ economics: [PartnerEconomics]) throws(ClearingNodeError) {
        try db.inTransaction { () throws(ClearingNodeError) in
            try db.prepare("DELETE FROM deposits WHERE cycle = ?").bind(.integer(cycle)).run()
            let insert = try db.prepare(
                """
                INSERT INTO deposits (cycle, partner, funding_model, opening_minor, topped_up_minor, drawn_minor, closing_minor,
                                      frozen_minor, when_exhausted, exposure_minor, exhausted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for item in economics {
                guard let deposit = item.deposit else { continue }
                try insert.bind(
                    .integer(cycle), .text(item.partnerId), .text(item.fundingModel.rawValue), .integer(deposit.openingMinor),
                    .integer(deposit.toppedUpMinor), .integer(deposit.drawnMinor), .integer(deposit.closingMinor),
                    .integer(deposit.frozenMinor), .text(deposit.whenExhausted.rawValue), .integer(item.exposure.valueMinor),
                    .integer(deposit.exhausted ? 1 : 0)
                ).run()
            }
        }
    }
}
