import ArgumentParser
import Foundation
import Ledger

extension LedgerCommand {
    /// `loyalty ledger history`: a member's journal rows from the archives and the hot
    /// table, in offset order (docs/operations.md, "Archives").
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A member's transactions, archived and hot, in offset order.",
            discussion:
                "Reads the hot journal and the partition's archive files that hold the member, each checked against the SHA-256 the shard recorded; an archive whose member index (the .members file beside it) does not list the member is not opened. An archive without a usable index is read, and indexed for the next question. `loyalty ledger verify` checks every archive file."
        )

        @Option(help: "Directory of the shard files.") var data = "var/worker"
        @Option(help: "The member's partition.") var partition: Int32
        @Option(help: "The member id.") var member: String
        @OptionGroup var archives: ArchiveDirOption
        @OptionGroup var programme: ProgrammeOption

        func run() async throws {
            let programme = try programme.load()
            guard let file = try ShardFiles.list(in: data).first(where: { $0.partition == partition }) else {
                throw CLIError("no shard file for partition \(partition) in \(data)")
            }
            let shard = try Shard(
                path: file.path, partition: partition, programme: programme,
                archiveDirectory: archives.directory(partition: partition))
            defer { shard.close() }
            let history = try shard.memberHistory(member)
            let entries = history.entries
            FileHandle.standardError.write(
                Data(
                    ("archives: \(history.archivesRead) read, \(history.archivesSkipped) skipped by their member index"
                        + (history.archivesIndexed > 0 ? " (\(history.archivesIndexed) had none: indexed where the directory can be written)" : "")
                        + "\n").utf8))
            guard !entries.isEmpty else { throw CLIError("member \(member) has no transactions in partition \(partition) of \(data)") }
            print("offset\tevent_time\tpartner\ttxn_id\tkind\tstatus\treason\tpoints_delta\tbalance_after\tsource")
            for e in entries {
                let fields: [String] = [
                    "\(e.offset)", e.eventTimeMilliseconds.map(String.init) ?? "-", e.partnerId, e.partnerTxnId, e.kind, e.status,
                    e.reason ?? "-", "\(e.pointsDelta)", "\(e.balanceAfter)", e.archive ?? "hot",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }
}
