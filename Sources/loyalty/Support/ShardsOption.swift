import ArgumentParser

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
