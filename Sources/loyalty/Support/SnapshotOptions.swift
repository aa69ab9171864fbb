import ArgumentParser
import Worker

/// `loyalty worker`'s snapshot schedule (docs/operations.md, "Snapshots and hand-over").
struct SnapshotOptions: ParsableArguments {
    @Option(
        name: .customLong("snapshot-dir"),
        help: ArgumentHelp(
            "Snapshot store directory shared by the workers (a shared volume or an object-store mount). Snapshots are taken on the schedule below; a partition taken without its shard file is restored from its newest snapshot and only the log after it replayed. Default: off (replay from offset 0).",
            valueName: "dir"))
    var directory: String?
    @Option(
        name: .customLong("snapshot-every-cycles"),
        help: ArgumentHelp("Snapshot a shard after this many sealed cycles (0: not on seals).", valueName: "n"))
    var everyCycles = WorkerConfiguration.defaultSnapshotEveryCycles
    @Option(
        name: .customLong("snapshot-every-seconds"),
        help: ArgumentHelp(
            "Also snapshot a shard once this many seconds passed since its last snapshot, sealed or not (0: not by time); bounds the tail a hand-over replays.",
            valueName: "s"))
    var everySeconds = WorkerConfiguration.defaultSnapshotEverySeconds
    @Option(name: .customLong("snapshots-kept"), help: ArgumentHelp("Snapshots kept per partition (at least 1).", valueName: "n"))
    var kept = WorkerConfiguration.defaultSnapshotsKept

    func validate() throws {
        if let directory, directory.isEmpty { throw ValidationError("--snapshot-dir: must not be empty") }
        guard everyCycles >= 0 else { throw ValidationError("--snapshot-every-cycles: must be 0 or more, got \(everyCycles)") }
        guard everySeconds >= 0 else { throw ValidationError("--snapshot-every-seconds: must be 0 or more, got \(everySeconds)") }
        guard kept >= 1 else { throw ValidationError("--snapshots-kept: must be at least 1, got \(kept)") }
    }

    func apply(to configuration: inout WorkerConfiguration) {
        configuration.snapshotDirectory = directory
        configuration.snapshotEveryCycles = everyCycles
        configuration.snapshotEverySeconds = everySeconds
        configuration.snapshotsKept = kept
    }
}
