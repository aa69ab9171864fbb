import ArgumentParser
import Foundation
import Ledger
import SnapshotStore
import Worker

extension LedgerCommand {
    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a shard, consistently and atomically, into a snapshot store.",
            discussion: """
                The copy is taken on a read-only connection of its own: the partition's worker \
                may go on applying meanwhile (it is never blocked). The copy is the ledger as of \
                one committed batch; the offset it covers is read from the copy. The data goes \
                into the store first, its manifest (partition, offset, sealed cycle, size, \
                SHA-256) after, so a snapshot interrupted part-way is never taken for a complete \
                one. Prints the manifest. See docs/operations.md, "Snapshots and hand-over".
                """
        )

        @Option(help: "Directory of the shard files.") var data = "var/worker"
        @Option(help: "Partition whose shard to snapshot.") var partition: Int32
        @Option(help: "Snapshot store directory (a shared volume or an object-store mount); created if missing.")
        var to: String
        @Option(help: "Snapshots of the partition to keep in the store (older ones are deleted); 0 keeps all.")
        var keep = 0

        func run() async throws {
            let shardPath = WorkerConfiguration.shardPath(dataDirectory: data, partition: partition)
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw CLIError("no shard for partition \(partition) at \(shardPath); check --data and --partition")
            }
            guard keep >= 0 else { throw CLIError("--keep: must be 0 (keep all) or more, got \(keep)") }
            let store = try openStore(to, option: "--to")
            let started = ContinuousClock.now
            let manifest: SnapshotManifest
            do {
                manifest = try WorkerSnapshots.snapshot(
                    shardPath: shardPath, partition: partition,
                    staging: WorkerSnapshots.stagingPath(dataDirectory: data, partition: partition), into: store)
            } catch let error as SnapshotStoreError {
                throw CLIError("cannot store the snapshot in \(to): \(error)")
            } catch {
                throw CLIError("cannot copy \(shardPath): \(error)")
            }
            let seconds = (ContinuousClock.now - started) / .milliseconds(1) / 1_000
            if keep > 0 { try store.prune(partition: partition, keep: keep) }
            print(String(decoding: try Self.json(manifest), as: UTF8.self))
            FileHandle.standardError.write(
                Data(
                    "partition \(partition): \(manifest.bytes) bytes up to offset \(manifest.nextOffset) in \(String(format: "%.2f", seconds)) s\n"
                        .utf8))
        }

        static func json(_ manifest: SnapshotManifest) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(manifest)
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a partition's newest complete snapshot as its shard file.",
            discussion: """
                Only where the partition has no shard file (move a damaged one away first). The \
                data is checked against its manifest (partition, size, SHA-256) before it is \
                renamed into place; a damaged newer snapshot is skipped for an older one. A \
                worker then resumes the partition from the snapshot's offset. Workers with \
                --snapshot-dir do this by themselves when they take a partition without its file.
                """
        )

        @Option(help: "Directory of the shard files.") var data = "var/worker"
        @Option(help: "Partition whose shard to restore.") var partition: Int32
        @Option(help: "Snapshot store directory.") var from: String

        func run() async throws {
            let shardPath = WorkerConfiguration.shardPath(dataDirectory: data, partition: partition)
            guard !FileManager.default.fileExists(atPath: shardPath) else {
                throw CLIError("\(shardPath) exists: restore writes only where there is no shard file; move it away first")
            }
            guard FileManager.default.fileExists(atPath: from) else {
                throw CLIError("no snapshot store at \(from); check --from (the directory given to --snapshot-dir or --to)")
            }
            let store = try openStore(from, option: "--from")
            guard let (manifest, skipped) = try store.restoreNewest(partition: partition, to: shardPath) else {
                if try store.snapshots(partition: partition).isEmpty {
                    throw CLIError("no complete snapshot of partition \(partition) in \(from); the partition must be replayed from its log")
                }
                throw CLIError(
                    "every snapshot of partition \(partition) in \(from) is damaged (size or SHA-256 differs from its manifest); replay the partition from its log"
                )
            }
            for damaged in skipped { FileHandle.standardError.write(Data("skipped: \(damaged)\n".utf8)) }
            print(String(decoding: try Snapshot.json(manifest), as: UTF8.self))
            FileHandle.standardError.write(
                Data("restored \(shardPath): resume partition \(partition) from offset \(manifest.nextOffset)\n".utf8))
        }
    }
}

private func openStore(_ directory: String, option: String) throws -> DirectorySnapshotStore {
    do {
        return try DirectorySnapshotStore(root: directory)
    } catch {
        throw CLIError("\(option) \(directory): \(error)")
    }
}
