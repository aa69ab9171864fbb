import ArgumentParser
import Foundation
import Kafka
import LoyaltyWire
import Programme
import SwiftProtobuf
import Worker

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish transactions from an NDJSON file (one TransactionEnvelope per line, proto3 JSON).",
        discussion: """
            Each line is a loyalty.v1.TransactionEnvelope in proto3 JSON, e.g.
              {"partner_id":"fuel","partner_txn_id":"f-1","member_id":"m-000001","occurred_at_ms":"1767225600000","accrual":{"amount_minor":"4599","currency":"EUR","category":"fuel"}}
            The whole file is checked first, structure and programme (known partner, \
            amounts and points in 1...10^12, the programme currency, no repeated \
            partner_txn_id, occurred_at_ms from 2000 to a day ahead, no barrier, inquiry or \
            received_at_ms, no amount on a CANCEL). \
            If any line is invalid, each bad line is reported with its number, field and \
            reason, nothing is published and the exit status is 1 (unless --skip-invalid). \
            Lines are at most 16 KiB, files at most 256 MiB: split bigger files. Records \
            are keyed by member id (murmur2).
            """
    )

    @Argument(help: "NDJSON file, or - for standard input.") var file: String
    @OptionGroup var programme: ProgrammeOption
    @OptionGroup var kafka: KafkaOptions
    @Flag(help: "Publish the valid lines even if some are invalid, and say how many were skipped.") var skipInvalid = false
    @Flag(help: "Only check the file.") var dryRun = false
    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = try log.bootstrap(label: "loyalty.produce")
        let rules = try programme.load()
        let checked: Checked
        do { checked = try Self.check(path: file, programme: rules) } catch { throw CLIError(error.description) }
        for problem in checked.problems { FileHandle.standardError.write(Data((problem.description + "\n").utf8)) }
        if checked.problemCount > checked.problems.count {
            FileHandle.standardError.write(Data("… and \(checked.problemCount - checked.problems.count) more problem(s)\n".utf8))
        }
        if checked.invalidLines > 0, !skipInvalid {
            throw CLIError(
                "\(checked.invalidLines) invalid line(s) in \(file == "-" ? "standard input" : file); nothing published (fix them and run again, or pass --skip-invalid to publish the \(checked.records.count) valid ones)"
            )
        }
        if dryRun {
            print("\(checked.records.count) valid, \(checked.invalidLines) invalid; nothing published (--dry-run)")
            return
        }
        try TopicCheck.requireTransactionsTopic(bootstrapServers: try kafka.resolvedBootstrapServers(), extra: try kafka.extra(), logger: logger)
        let producer = try KafkaProducer(
            configuration: {
                var configuration = ProducerConfiguration(bootstrapServers: try kafka.resolvedBootstrapServers())
                configuration.extra = try kafka.extra()
                return configuration
            }(),
            logger: logger
        )
        defer { producer.shutdown() }
        let feeder = Feeder(producer: producer)
        let topic = LoyaltyWire.Topics().transactions
        for record in checked.records {
            feeder.send(ProducerRecord(topic: topic, partition: nil, key: record.key, value: record.value))
        }
        try feeder.drain()
        let tally = feeder.snapshot
        print(
            "published \(tally.acknowledged) of \(checked.records.count) to \(topic); \(tally.failed) failed; skipped \(checked.invalidLines) invalid line(s)"
        )
        if tally.failed > 0 {
            throw CLIError("\(tally.failed) record(s) were not acknowledged by Kafka: \(tally.firstFailure ?? "")")
        }
    }
}

// MARK: - Checking a file before anything is published

extension Produce {
    /// What a nightly file may hold. A valid envelope is a few hundred bytes (every text
    /// field has a size limit), so a longer line is refused unread; the file limit bounds
    /// memory, which holds every valid record until the whole file is checked.
    struct Limits: Sendable {
        var maxLineBytes = 16 * 1024
        var maxFileBytes: Int64 = 256 * 1024 * 1024
        /// Problems kept for printing; the rest are only counted.
        var maxReportedProblems = 1_000
        /// occurred_at_ms before 2000-01-01 is refused: the ledger's time for a file's
        /// transaction is occurred_at_ms, and seconds sent as milliseconds land in January
        /// 1970, where every point would be issued already expired.
        var earliestOccurredAtMilliseconds: Int64 = 946_684_800_000
        /// occurred_at_ms more than a day after the wall clock is refused: a nightly file
        /// holds past transactions (microseconds sent as milliseconds land millennia ahead).
        var maxFutureMilliseconds: Int64 = 86_400_000
    }

    /// One reason a line is refused.
    struct Problem: Sendable, Equatable, CustomStringConvertible {
        var line: Int
        var field: String
        var reason: String

        var description: String { FieldLimits.printable("line \(line): \(field): \(reason)") }
    }

    /// The outcome of checking a whole file: the records to publish (valid lines, in file
    /// order) and why every other line was refused.
    struct Checked: Sendable {
        var records: [(key: [UInt8], value: [UInt8])] = []
        var problems: [Problem] = []
        var problemCount = 0
        var invalidLines = 0
        var lines = 0
    }

    /// A file that cannot be checked at all: unreadable, a directory, or over the size limit.
    struct FileRefused: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads `path` (or standard input for `-`) in chunks and checks every line.
    static func check(path: String, programme: Programme, limits: Limits = Limits()) throws(FileRefused) -> Checked {
        let descriptor: Int32
        if path == "-" {
            descriptor = STDIN_FILENO
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
            guard descriptor >= 0 else { throw FileRefused(description: "\(path): cannot be opened: \(String(cString: strerror(errno)))") }
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileRefused(description: "\(path): cannot be read: \(String(cString: strerror(errno)))") }
        if status.st_mode & S_IFMT == S_IFDIR { throw FileRefused(description: "\(path): is a directory, not an NDJSON file") }
        if status.st_mode & S_IFMT == S_IFREG, Int64(status.st_size) > limits.maxFileBytes {
            throw FileRefused(description: "\(path): \(status.st_size) bytes is over the limit of \(limits.maxFileBytes) bytes; split the file")
        }
        var checker = LineChecker(programme: programme, limits: limits)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileRefused(description: "\(path): read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            do { try checker.feed(chunk[0..<count]) } catch {
                throw FileRefused(description: "\(path == "-" ? "standard input" : path): \(error.description)")
            }
        }
        return checker.finish()
    }

    /// Checks lines fed in chunks of any size: structure (`InboundMessage`), what partners
    /// may not send, the programme, and repeated ids. Holds at most one line of input.
    struct LineChecker {
        let programme: Programme
        let limits: Limits
        private var checked = Checked()
        private var line: [UInt8] = []
        private var lineTooLong = false
        private var bytesRead: Int64 = 0
        /// (partner_id, partner_txn_id) → the line that used it first.
        private var firstLine: [String: Int] = [:]

        /// The wall clock when the check started (UTC ms): no transaction of a file happened
        /// more than `Limits.maxFutureMilliseconds` after it.
        let nowMilliseconds: Int64

        init(programme: Programme, limits: Limits = Limits(), nowMilliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) {
            self.programme = programme
            self.limits = limits
            self.nowMilliseconds = nowMilliseconds
        }

        mutating func feed(_ bytes: ArraySlice<UInt8>) throws(FileRefused) {
            bytesRead += Int64(bytes.count)
            guard bytesRead <= limits.maxFileBytes else {
                throw FileRefused(description: "more than \(limits.maxFileBytes) bytes; split the file (nothing was published)")
            }
            var start = bytes.startIndex
            while start < bytes.endIndex {
                guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                    append(bytes[start...])
                    return
                }
                append(bytes[start..<newline])
                endLine()
                start = newline + 1
            }
        }

        mutating func finish() -> Checked {
            if !line.isEmpty || lineTooLong { endLine() }
            return checked
        }

        private mutating func append(_ bytes: ArraySlice<UInt8>) {
            guard !lineTooLong else { return }
            if line.count + bytes.count > limits.maxLineBytes {
                lineTooLong = true
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(contentsOf: bytes)
            }
        }

        private mutating func endLine() {
            checked.lines += 1
            defer {
                line.removeAll(keepingCapacity: true)
                lineTooLong = false
            }
            if lineTooLong {
                refuse([("line", "longer than \(limits.maxLineBytes) bytes; no valid envelope is that long")])
                return
            }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { return }
            switch check(line) {
            case .success(let record): checked.records.append(record)
            case .failure(let problems): refuse(problems.list)
            }
        }

        private mutating func refuse(_ problems: [(field: String, reason: String)]) {
            checked.invalidLines += 1
            for problem in problems {
                checked.problemCount += 1
                if checked.problems.count < limits.maxReportedProblems {
                    checked.problems.append(Problem(line: checked.lines, field: problem.field, reason: problem.reason))
                }
            }
        }

        private func occurredAtProblem(_ milliseconds: Int64) -> (field: String, reason: String)? {
            if milliseconds < limits.earliestOccurredAtMilliseconds {
                return (
                    "occurred_at_ms",
                    "\(milliseconds) is \(Produce.utc(milliseconds)), before \(Produce.utc(limits.earliestOccurredAtMilliseconds)): milliseconds since 1970 are expected (seconds?)"
                )
            }
            let (latest, overflow) = nowMilliseconds.addingReportingOverflow(limits.maxFutureMilliseconds)
            if !overflow, milliseconds > latest {
                return (
                    "occurred_at_ms",
                    "\(milliseconds) is \(Produce.utc(milliseconds)), more than a day after now (\(Produce.utc(nowMilliseconds))): a file holds past transactions (microseconds?)"
                )
            }
            return nil
        }

        struct Problems: Error {
            var list: [(field: String, reason: String)]
            init(_ field: String, _ reason: String) { list = [(field, reason)] }
            init(_ list: [(field: String, reason: String)]) { self.list = list }
        }

        private mutating func check(_ bytes: [UInt8]) -> Result<(key: [UInt8], value: [UInt8]), Problems> {
            let envelope: Loyalty_V1_TransactionEnvelope
            switch Produce.decode(bytes) {
            case .success(let decoded): envelope = decoded
            case .failure(let problem): return .failure(Problems(problem.field, problem.reason))
            }
            switch envelope.body {
            case .barrier: return .failure(Problems("barrier", "barriers are written by the clearing node only"))
            case .inquiry:
                return .failure(Problems("inquiry", "partners ask for balances through the gateway (GET /v1/members/{id}/balance), not in files"))
            default: break
            }
            if envelope.receivedAtMs != 0 {
                return .failure(Problems("received_at_ms", "is set only by the gateway; leave it out (the ledger's time is occurred_at_ms)"))
            }
            let transaction: Transaction
            do {
                guard case .transaction(let decoded, _) = try InboundMessage(envelope) else {
                    return .failure(Problems("body", "is not a transaction"))
                }
                transaction = decoded
            } catch {
                return .failure(Problems(error.field, error.reason))
            }
            var problems = programme.problems(of: transaction)
            if let problem = occurredAtProblem(envelope.occurredAtMs) { problems.append(problem) }
            if case .reversal(let reversal) = envelope.body, reversal.kind == .cancel {
                if reversal.amountMinor != 0 {
                    problems.append(
                        (
                            "reversal.amount_minor",
                            "a CANCEL restores the whole redemption and carries no amount, got \(reversal.amountMinor); send a REFUND for part of a purchase"
                        ))
                }
                if !reversal.currency.isEmpty {
                    problems.append(("reversal.currency", "a CANCEL carries no currency"))
                }
            }
            let id = transaction.partnerId + "\u{0}" + transaction.partnerTxnId
            if let first = firstLine[id] {
                problems.append(
                    (
                        "partner_txn_id",
                        "\"\(transaction.partnerTxnId)\" of partner \(transaction.partnerId) repeats line \(first); each transaction needs its own id"
                    ))
            } else {
                firstLine[id] = checked.lines
            }
            if !problems.isEmpty { return .failure(Problems(problems)) }
            do {
                return .success((Array(transaction.memberId.utf8), try envelope.serializedBytes()))
            } catch {
                return .failure(Problems("envelope", "cannot be encoded: \(error)"))
            }
        }
    }

    /// Strict proto3 JSON, as the gateway reads it: unknown fields, duplicate keys,
    /// fractions and exponents, control characters are refused, naming the field.
    static func decode(_ bytes: [UInt8]) -> Result<Loyalty_V1_TransactionEnvelope, WireError> {
        Result { () throws(WireError) in try Loyalty_V1_TransactionEnvelope(strictJSON: bytes) }
    }

    /// An instant as ISO 8601 UTC, or "out of the calendar" for the far ends of Int64.
    static func utc(_ milliseconds: Int64) -> String {
        let seconds = Double(milliseconds) / 1000
        guard abs(seconds) < 253_402_300_800 else { return "beyond year 9999" }
        return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
    }
}
