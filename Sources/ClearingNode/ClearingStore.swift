import Foundation
import LoyaltyWire
import Programme
import SQLite
import SwiftProtobuf

/// The clearing node's own state: cycles and the shard positions received for them, in
/// one SQLite file. Small and rarely written; several processes (the node and
/// `loyalty clearing close`) may open it, SQLite's locking keeps them apart.
final class ClearingStore {
    let db: Database<ClearingNodeError>

    init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        db = try Database(path: path)
        try db.execute("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA synchronous = FULL")
        try migrate()
    }

    func close() { db.close() }

    private func migrate() throws(ClearingNodeError) {
        try db.migrate([
            Migration(
                """
                CREATE TABLE cycles (
                    cycle INTEGER PRIMARY KEY,
                    status TEXT NOT NULL,
                    closed_at_ms INTEGER NOT NULL,
                    partitions INTEGER NOT NULL,
                    barriers_sent INTEGER NOT NULL DEFAULT 0,
                    reason TEXT,
                    manifest_sha256 TEXT,
                    events_from_offset INTEGER,
                    instruction_count INTEGER
                );
                CREATE TABLE positions (
                    cycle INTEGER NOT NULL,
                    partition INTEGER NOT NULL,
                    position TEXT NOT NULL,
                    PRIMARY KEY (cycle, partition)
                ) WITHOUT ROWID;
                """),
            // Deposits: top-ups, deposit movements per cycle, each barrier's suspended partners.
            Migration(Self.depositsMigration),
        ])
    }

    // MARK: - Cycles

    /// Records cycle `lastCycle + 1` as CLOSING and returns it.
    func openNextClosing(closedAtMilliseconds: Int64, partitions: Int32) throws(ClearingNodeError) -> CycleRecord {
        try db.inTransaction { () throws(ClearingNodeError) in
            let next = (try lastCycle() ?? 0) + 1
            let previous = try cycle(next - 1)
            // Close times are the cycle windows: they must increase.
            let closedAt = max(closedAtMilliseconds, (previous?.closedAtMilliseconds ?? 0) + 1)
            try db.prepare("INSERT INTO cycles (cycle, status, closed_at_ms, partitions) VALUES (?, 'CLOSING', ?, ?)")
                .bind(.integer(next), .integer(closedAt), .integer(Int64(partitions))).run()
            try takeTopUpsAndDecideSuspensions(cycle: next)
            return try cycle(next)!
        }
    }

    func lastCycle() throws(ClearingNodeError) -> Int64? {
        let statement = try db.prepare("SELECT MAX(cycle) FROM cycles")
        defer { statement.reset() }
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return statement.int64(0)
    }

    func cycle(_ number: Int64) throws(ClearingNodeError) -> CycleRecord? {
        try cycles(where: "WHERE cycle = \(number)").first
    }

    func cycles(status: CycleRecord.Status? = nil) throws(ClearingNodeError) -> [CycleRecord] {
        try cycles(where: status.map { "WHERE status = '\($0.rawValue)'" } ?? "")
    }

    private func cycles(where clause: String) throws(ClearingNodeError) -> [CycleRecord] {
        let statement = try db.prepareDynamic(
            """
            SELECT cycle, status, closed_at_ms, partitions, barriers_sent, reason, manifest_sha256,
                   events_from_offset, instruction_count FROM cycles \(clause) ORDER BY cycle
            """
        )
        defer { statement.reset() }
        var records: [CycleRecord] = []
        while try statement.step() {
            records.append(
                CycleRecord(
                    cycle: statement.int64(0),
                    status: CycleRecord.Status(rawValue: statement.text(1)) ?? .failed,
                    closedAtMilliseconds: statement.int64(2),
                    partitions: Int32(statement.int64(3)),
                    barriersSent: statement.int64(4) != 0,
                    reason: statement.optionalText(5),
                    manifestSHA256: statement.optionalText(6),
                    eventsFromOffset: statement.isNull(7) ? nil : statement.int64(7),
                    instructionCount: statement.isNull(8) ? nil : Int(statement.int64(8)),
                    positionsReceived: []
                )
            )
        }
        statement.reset()
        for index in records.indices {
            // The node lists cycles several times a second: a settled cycle had every
            // partition by definition, and the others need partition numbers, not positions.
            records[index].positionsReceived =
                records[index].status == .settled
                ? Array(0..<records[index].partitions) : try receivedPartitions(records[index].cycle)
        }
        return records
    }

    private func receivedPartitions(_ cycle: Int64) throws(ClearingNodeError) -> [Int32] {
        let statement = try db.prepare("SELECT partition FROM positions WHERE cycle = ? ORDER BY partition")
            .bind(.integer(cycle))
        defer { statement.reset() }
        var partitions: [Int32] = []
        while try statement.step() { partitions.append(Int32(statement.int64(0))) }
        return partitions
    }

    func markBarriersSent(_ cycle: Int64) throws(ClearingNodeError) {
        try db.prepare("UPDATE cycles SET barriers_sent = 1 WHERE cycle = ?").bind(.integer(cycle)).run()
    }

    func markSettling(_ cycle: Int64, manifestSHA256: String, eventsFromOffset: Int64, instructionCount: Int) throws(ClearingNodeError) {
        try db.prepare(
            """
            UPDATE cycles SET status = 'SETTLING', manifest_sha256 = ?, instruction_count = ?,
                   events_from_offset = COALESCE(events_from_offset, ?)
            WHERE cycle = ?
            """
        ).bind(.text(manifestSHA256), .integer(Int64(instructionCount)), .integer(eventsFromOffset), .integer(cycle)).run()
    }

    func markSettled(_ cycle: Int64) throws(ClearingNodeError) {
        try db.prepare("UPDATE cycles SET status = 'SETTLED' WHERE cycle = ?").bind(.integer(cycle)).run()
    }

    func markFailed(_ cycle: Int64, reason: String) throws(ClearingNodeError) {
        try db.prepare("UPDATE cycles SET status = 'FAILED', reason = ? WHERE cycle = ? AND status != 'SETTLED'")
            .bind(.text(reason), .integer(cycle)).run()
    }

    /// The reason given to a cycle that failed only because the one before it had.
    static func failedBehind(_ previous: Int64) -> String { "cycle \(previous) failed; cycles settle in order" }

    /// Puts FAILED `cycle` back to CLOSING, with the later cycles that failed only because
    /// it had; returns their numbers. The node then settles them as any closing cycle:
    /// every check again, byte-identical files, no event published twice. Refused unless
    /// `cycle` is FAILED and the cycle before it is SETTLED (cycles settle in order).
    func retry(_ cycle: Int64) throws(ClearingNodeError) -> [Int64] {
        try db.inTransaction { () throws(ClearingNodeError) in
            guard let record = try self.cycle(cycle) else { throw ClearingNodeError("cycle \(cycle): no such cycle in \(db.path)") }
            guard record.status == .failed else {
                throw ClearingNodeError("cycle \(cycle) is \(record.status.rawValue), not FAILED: only a failed cycle is retried")
            }
            if cycle > 1, let previous = try self.cycle(cycle - 1), previous.status != .settled {
                throw ClearingNodeError(
                    "cycle \(cycle - 1) is \(previous.status.rawValue): cycles settle in order, so retry cycle \(cycle - 1) first")
            }
            var reset = [cycle]
            while let later = try self.cycle(reset.last! + 1), later.status == .failed, later.reason == Self.failedBehind(reset.last!) {
                reset.append(later.cycle)
            }
            let update = try db.prepare("UPDATE cycles SET status = 'CLOSING', reason = NULL WHERE cycle = ? AND status = 'FAILED'")
            for number in reset { try update.bind(.integer(number)).run() }
            return reset
        }
    }

    // MARK: - Positions

    enum PositionInsert: Equatable {
        case stored, alreadyKnown
        /// The same (cycle, partition) came with different content: a broken invariant upstream.
        case conflict
    }

    /// Stored as the wire encoding (base64), which is also what a conflict is judged by.
    func insertPosition(_ position: CyclePosition) throws -> PositionInsert {
        let encoded = Data(try Loyalty_V1_ShardPosition(position).serializedBytes() as [UInt8]).base64EncodedString()
        let existing = try db.prepare("SELECT position FROM positions WHERE cycle = ? AND partition = ?")
            .bind(.integer(position.cycle), .integer(Int64(position.partition)))
        defer { existing.reset() }
        if try existing.step() {
            return existing.text(0) == encoded ? .alreadyKnown : .conflict
        }
        existing.reset()
        try db.prepare("INSERT INTO positions (cycle, partition, position) VALUES (?, ?, ?)")
            .bind(.integer(position.cycle), .integer(Int64(position.partition)), .text(encoded)).run()
        return .stored
    }

    func positions(_ cycle: Int64) throws -> [Int32: CyclePosition] {
        let statement = try db.prepare("SELECT partition, position FROM positions WHERE cycle = ? ORDER BY partition")
            .bind(.integer(cycle))
        defer { statement.reset() }
        var result: [Int32: CyclePosition] = [:]
        while try statement.step() {
            guard let data = Data(base64Encoded: statement.text(1)) else {
                throw ClearingNodeError("stored position of cycle \(cycle) partition \(statement.int64(0)) is damaged")
            }
            result[Int32(statement.int64(0))] = CyclePosition(try Loyalty_V1_ShardPosition(serializedBytes: [UInt8](data)))
        }
        return result
    }
}

/// An operating failure of the clearing node, with a message a person can act on.
public struct ClearingNodeError: Error, CustomStringConvertible, Sendable, SQLiteFailure {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    package init(_ storage: SQLiteError) {
        self.init("clearing state: \(storage)")
    }
}
