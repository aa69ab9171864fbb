import Dispatch
import Foundation
import Ledger
import Programme
import Simulation
import Synchronization
import Worker

/// `loyalty bench history`: how a shard's costs move as its history grows.
///
/// Builds ONE shard from a synthetic log (`HistoryBenchmarkLog`: transactions over `days`
/// days, a barrier closing every day), applied as the worker applies, without Kafka:
/// batches of `batchSize` transactions, except that a batch ends before a barrier and the
/// barrier is applied alone, so its stall (apply + COMMIT) is timed by itself. Every
/// `snapshotEveryDays` days, after that day's barrier, a snapshot of the shard is taken
/// (outside the timed apply). At the end the newest snapshot is handed over: restored into
/// a fresh path and the tail after it replayed; its last sealed position must equal the
/// shard's.
public enum HistoryBenchmark {
    public struct Settings: Sendable {
        public var transactions = 5_000_000
        public var members = 100_000
        /// Days of event time the transactions spread over (a cycle per day).
        public var days: Int64 = 720
        public var snapshotEveryDays: Int64 = 15
        public var batchSize = WorkerConfiguration.defaultMaxBatchRecords
        /// The first and the last this many transactions are the two apply-rate windows.
        public var window = 1_000_000
        /// The day from which the hot state is steady: history has passed the horizons and
        /// the lots' expiry (`steadyDay(programme:)`). A third memory and disk probe is
        /// taken at the first barrier past it, to compare with the end.
        public var steadyDay: Int64?

        public init() {}
    }

    /// Apply figures over a run of transaction batches.
    public struct Window: Sendable {
        public var records = 0
        public var seconds = 0.0
        /// The apply thread's CPU time.
        public var cpuSeconds = 0.0
        /// Pages the shard's COMMITs wrote (`Shard.pagesWritten`).
        public var pagesWritten: Int64 = 0

        public var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
        public var cpuMicrosecondsPerRecord: Double { records > 0 ? cpuSeconds / Double(records) * 1e6 : 0 }
        public var pagesPerRecord: Double { records > 0 ? Double(pagesWritten) / Double(records) : 0 }
    }

    public struct Result: Sendable {
        public var transactions = 0
        public var entries: Int64 = 0
        /// The apply-rate windows: the first, the one before the last, the last, and the
        /// first after the steady day (`Windows`).
        public var windows = Windows()
        /// The day `windows.afterSteady` starts after (the first barrier past the steady
        /// day), when the run holds a whole window after it.
        public var afterSteadyDay: Int64?
        /// Every barrier's apply + COMMIT, in log order, milliseconds.
        public var barrierMilliseconds: [Double] = []
        /// Where each of those barriers' time went, COMMIT excluded (`Shard.lastBarrierPhases`).
        public var barrierPhases: [Shard.BarrierPhases] = []
        /// Applying the whole log into a fresh file (transactions and barriers, snapshots
        /// left out): what a hand-over without a snapshot replays.
        public var buildSeconds = 0.0
        /// WAL checkpoints of the build: taken off the applying thread (`WALCheckpoints`),
        /// their passes, and those the writer's backstop took inside its COMMITs.
        public var checkpointsOffThread = 0
        public var checkpointPasses = 0
        public var checkpointsInCommits = 0
        public var snapshots: [HistorySnapshot] = []
        public var handOver = HandOver()
        /// One member's whole history at the end (`ledger history`), through the archives'
        /// member indexes.
        public var memberHistory = MemberHistory()
        public var middle: HistoryProbe?
        /// At the first barrier past `Settings.steadyDay`, if that is before the end.
        public var steady: HistoryProbe?
        public var end: HistoryProbe?
    }

    /// The first day on which `programme`'s hot state no longer grows with history. A lot
    /// earned on day 0 expires after the expiry (12 months: day 365). A redemption from it,
    /// on that day at the latest, may be reversed up to the reversal window later (day 545),
    /// which gives the expired lot its points back for the next barrier's breakage to take
    /// again; the lot leaves the hot tables once that cycle is past both the horizon and
    /// the window (day 725), plus two days for the barriers between. Before it, old lots
    /// emptied that way still pile up (as they should). Nil when the programme keeps
    /// something hot for ever: no horizon, no reversal window, or lots that never expire
    /// (they are balances).
    public static func steadyDay(programme: Programme) -> Int64? {
        guard let horizon = programme.idempotencyHorizonDays, let window = programme.reversalWindowDays,
            programme.expiryMonths > 0
        else { return nil }
        let expiryDays = (Int64(programme.expiryMonths) * 365 + 11) / 12
        return expiryDays + Int64(window) + Int64(max(horizon, window)) + 2
    }

    public struct HandOver: Sendable {
        /// Fetching the newest snapshot into a fresh path and opening it.
        public var restoreSeconds = 0.0
        public var tailEntries = 0
        public var tailSeconds = 0.0
        /// The handed-over shard's last sealed position (digest included) equals the shard's.
        public var positionEqual = false

        public var seconds: Double { restoreSeconds + tailSeconds }
    }

    public struct MemberHistory: Sendable {
        public var member = ""
        public var seconds = 0.0
        public var entries = 0
        public var archivesRead = 0
        public var archivesSkipped = 0
    }

    public static func run(
        settings: Settings, programme: Programme, directory: String, progress: (String) -> Void
    ) throws -> Result {
        let shardPath = WorkerConfiguration.shardPath(dataDirectory: directory + "/shard", partition: 0)
        try FileManager.default.createDirectory(atPath: directory + "/shard", withIntermediateDirectories: true)
        let snapshots = try HistorySnapshots(directory: directory + "/snapshots")
        let archives = ArchiveLocation.directory(forShardPath: shardPath, partition: 0)
        let shard = try Shard(path: shardPath, partition: 0, programme: programme)
        defer { shard.close() }
        var result = Result()
        var batch = HistoryBatcher(shard: shard, size: settings.batchSize)
        defer { batch.checkpoints.drain() }
        var windows: [(start: Int, window: Window)] = []
        /// Transactions applied and the day, at the first barrier past the steady day.
        var steadyStart: (transactions: Int, day: Int64)?
        var log = HistoryBenchmarkLog(
            programme: programme, transactions: settings.transactions, members: settings.members, days: settings.days)
        while let entry = log.next() {
            result.entries = entry.offset + 1
            guard case .barrier(let cycle, _, _) = entry.kind else {
                if let applied = try batch.add(entry) { windows.append((result.transactions, applied)) }
                result.transactions += 1
                continue
            }
            if let applied = try batch.flush() { windows.append((result.transactions - applied.records, applied)) }
            let stall = try batch.applyAlone(entry)
            result.barrierMilliseconds.append(stall * 1000)
            result.barrierPhases.append(shard.lastBarrierPhases)
            // None at the last barrier: the hand-over then replays a tail, as a real one does.
            if cycle % settings.snapshotEveryDays == 0, cycle < settings.days {
                result.snapshots.append(try snapshots.take(shardPath: shardPath, cycle: cycle))
                progress(
                    "day \(cycle): \(result.transactions) transactions, barrier \(String(format: "%.1f", stall * 1000)) ms, "
                        + "snapshot \(result.snapshots.last.map { String(format: "%.2f s", $0.seconds) } ?? "")")
            }
            // Every probe after a barrier, with the log's generator alive (it holds each
            // member's recent purchases and redemptions: bounded, ~75 MB at the defaults):
            // the end probe after the loop, once the generator is freed, compared a heap
            // without it to one with it.
            let probe = {
                try HistoryProbe.take(
                    day: cycle, transactions: result.transactions, shard: shard, shardPath: shardPath,
                    archiveDirectory: archives, generatorEntries: log.generatorEntries)
            }
            if result.transactions >= settings.transactions {
                if result.end == nil { result.end = try probe() }
            } else {
                if result.middle == nil, result.transactions >= settings.transactions / 2 { result.middle = try probe() }
                if result.steady == nil, let steadyDay = settings.steadyDay, cycle >= steadyDay {
                    result.steady = try probe()
                    steadyStart = (result.transactions, cycle)
                }
            }
        }
        result.buildSeconds = batch.seconds
        batch.checkpoints.drain()
        result.checkpointsOffThread = batch.checkpoints.taken.load(ordering: .relaxed)
        result.checkpointPasses = batch.checkpoints.passes.load(ordering: .relaxed)
        result.checkpointsInCommits = shard.takeCommitCheckpoints()
        result.windows = Windows(windows, transactions: result.transactions, window: settings.window, steadyStart: steadyStart?.transactions)
        if result.windows.afterSteady.records > 0 { result.afterSteadyDay = steadyStart?.day }
        if result.end == nil {
            result.end = try HistoryProbe.take(
                day: settings.days, transactions: result.transactions, shard: shard, shardPath: shardPath,
                archiveDirectory: archives, generatorEntries: log.generatorEntries)
        }
        result.memberHistory = try memberHistory(SyntheticCoalition.memberId(settings.members / 2), shard: shard)
        if let newest = result.snapshots.last {
            progress("handing over from the snapshot of day \(newest.cycle) ...")
            result.handOver = try handOver(
                newest, snapshots: snapshots, settings: settings, programme: programme, directory: directory + "/handover",
                expected: try shard.lastPosition())
        }
        return result
    }

    /// `member`'s history read from the archives and the hot journal, timed.
    private static func memberHistory(_ member: String, shard: Shard) throws -> MemberHistory {
        let started = DispatchTime.now().uptimeNanoseconds
        let history = try shard.memberHistory(member)
        return MemberHistory(
            member: member, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, entries: history.entries.count,
            archivesRead: history.archivesRead, archivesSkipped: history.archivesSkipped)
    }

    /// Restores `snapshot` into a fresh shard and replays the log after it.
    private static func handOver(
        _ snapshot: HistorySnapshot, snapshots: HistorySnapshots, settings: Settings, programme: Programme, directory: String,
        expected: CyclePosition?
    ) throws -> HandOver {
        // The tail, built before the clock starts: a worker reads it from Kafka.
        let tail = HistoryBenchmarkLog(
            programme: programme, transactions: settings.transactions, members: settings.members, days: settings.days
        ).filter { $0.offset >= snapshot.nextOffset }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = WorkerConfiguration.shardPath(dataDirectory: directory, partition: 0)
        var handOver = HandOver()
        let started = DispatchTime.now().uptimeNanoseconds
        try snapshots.restore(snapshot, to: path)
        let shard = try Shard(path: path, partition: 0, programme: programme)
        defer { shard.close() }
        guard try shard.nextOffset() == snapshot.nextOffset else {
            throw LedgerError(.schema, "the restored snapshot of day \(snapshot.cycle) does not start at offset \(snapshot.nextOffset)")
        }
        handOver.restoreSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var batch = HistoryBatcher(shard: shard, size: settings.batchSize)
        defer { batch.checkpoints.drain() }
        for entry in tail { _ = try batch.add(entry) }
        _ = try batch.flush()
        handOver.tailEntries = tail.count
        handOver.tailSeconds = batch.seconds
        handOver.positionEqual = try shard.lastPosition() == expected
        return handOver
    }
}

extension HistoryBenchmark.Window {
    mutating func add(_ other: Self) {
        records += other.records
        seconds += other.seconds
        cpuSeconds += other.cpuSeconds
        pagesWritten += other.pagesWritten
    }
}

extension HistoryBenchmark {
    /// The apply-rate windows of a run, summed from its batches (`start`: the transactions
    /// applied before the batch): the first, the one before the last and the last
    /// `window` transactions, and the first `window` from `steadyStart` on (left empty
    /// unless all of it is applied before the end).
    public struct Windows: Sendable {
        public var first = Window()
        /// The window before the last: with the last, whether the steady state stays flat.
        public var beforeLast = Window()
        public var last = Window()
        /// The first window after the steady day (`Settings.steadyDay`), when the run holds
        /// a whole one before its end: with the last, whether costs stay flat once the hot
        /// state has reached its size, the warm-up of small tables left out.
        public var afterSteady = Window()

        public init() {}

        public init(_ batches: [(start: Int, window: Window)], transactions: Int, window: Int, steadyStart: Int?) {
            let window = max(1, min(window, transactions))
            let steady = steadyStart.flatMap { $0 + window <= transactions ? $0 : nil }
            for (start, applied) in batches {
                if start < window { first.add(applied) }
                if start + applied.records > transactions - window { last.add(applied) }
                if start + applied.records > transactions - 2 * window, start < transactions - window { beforeLast.add(applied) }
                if let steady, start >= steady, start < steady + window { afterSteady.add(applied) }
            }
        }
    }
}

/// Entries gathered into batches of at most `size` and applied, timed. As the worker
/// does, the WAL is checkpointed off the applying thread (`WALCheckpoints`), not inside
/// a COMMIT.
struct HistoryBatcher {
    let shard: Shard
    let size: Int
    let checkpoints = WALCheckpoints()
    private var entries: [LedgerEntry] = []
    /// Everything applied so far, wall time.
    private(set) var seconds = 0.0

    init(shard: Shard, size: Int) {
        self.shard = shard
        self.size = max(1, min(size, LedgerBatch.maxEntries))
        entries.reserveCapacity(self.size)
    }

    /// Adds `entry`; when the batch is full, applies it and returns its figures.
    mutating func add(_ entry: LedgerEntry) throws -> HistoryBenchmark.Window? {
        entries.append(entry)
        return entries.count >= size ? try flush() : nil
    }

    /// Applies what is gathered, if anything.
    mutating func flush() throws -> HistoryBenchmark.Window? {
        guard let last = entries.last else { return nil }
        let cpu = threadCPUSeconds()
        let pages = shard.pagesWritten
        let started = DispatchTime.now().uptimeNanoseconds
        _ = try shard.apply(LedgerBatch(entries: entries, nextOffset: last.offset + 1)) { _ in }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        seconds += elapsed
        checkpoints.checkIfDue(shard)
        defer { entries.removeAll(keepingCapacity: true) }
        return HistoryBenchmark.Window(
            records: entries.count, seconds: elapsed, cpuSeconds: threadCPUSeconds() - cpu, pagesWritten: shard.pagesWritten - pages)
    }

    /// Applies `entry` in a batch of its own (after what is gathered); its seconds.
    mutating func applyAlone(_ entry: LedgerEntry) throws -> Double {
        _ = try flush()
        entries.append(entry)
        return try flush()?.seconds ?? 0
    }
}
