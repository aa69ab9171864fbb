import ArgumentParser
import Ledger

/// `--data` and `--partition` of the `loyalty ledger` tools that read one shard or every
/// shard of a data directory.
struct ShardsOption: ParsableArguments {
    @Option(help: "Directory of the shard files.") var data = "var/worker"
    @Option(help: "Only this partition's shard.") var partition: Int32?

    /// The shard files chosen; an error naming the directory when there are none.
    func files() throws -> [ShardFiles.File] {
        let shards = try ShardFiles.list(in: data).filter { partition == nil || $0.partition == partition }
        guard !shards.isEmpty else {
            throw CLIError("no shard files\(partition.map { " for partition \($0)" } ?? "") in \(data)")
        }
        return shards
    }
}

/// `--archive-dir`: where the worker was told to put the shards' archives (docs/operations.md,
/// "Archives"). Commands that read archived rows (a member's history, verification, and
/// with `archive_cycle_summaries` the positions and totals) take it.
struct ArchiveDirOption: ParsableArguments {
    @Option(help: "Root of the archive directories (default: <data>/archive), as given to the worker.")
    var archiveDir: String?

    /// The archive directory of `partition`'s shard (nil: the shard's default).
    func directory(partition: Int32) -> String? { archiveDir.map { ArchiveLocation.directory(root: $0, partition: partition) } }
}
