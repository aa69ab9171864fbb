import ArgumentParser
import Foundation
import Ledger

extension LedgerCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check shard files without the log: full digest, digest chain, cycle rows.",
            discussion: """
                For each shard: the full-table digest (every row of every table, O(history): \
                what barriers no longer compute), the head of its digest chain (the last sealed \
                cycle, its stored digest, the open cycle's running hash) and the checks that \
                need no log: every cycle row present with a digest, cycles contiguous in \
                offsets, the shard record following the last cycle, SQLite's quick_check, \
                every archive file against the SHA-256 and row counts the shard recorded. \
                Changes nothing. Exits non-zero when a check fails. To check the digests \
                against the log, use `loyalty ledger rebuild`. See docs/operations.md, \
                "Verifying a shard".
                """
        )

        @OptionGroup var shards: ShardsOption
        @OptionGroup var archives: ArchiveDirOption
        @OptionGroup var programme: ProgrammeOption

        func run() async throws {
            let programme = try programme.load()
            let files = try shards.files()
            var failed: [Int32] = []
            for file in files {
                let shard = try Shard(
                    path: file.path, partition: file.partition, programme: programme,
                    archiveDirectory: archives.directory(partition: file.partition))
                defer { shard.close() }
                let report = try shard.verify()
                print(Self.describe(report))
                if !report.problems.isEmpty { failed.append(file.partition) }
            }
            guard failed.isEmpty else {
                throw CLIError("verify found problems in partition(s) \(failed.map(String.init).joined(separator: ", "))")
            }
        }

        static func describe(_ r: ShardVerification) -> String {
            var lines = [
                "partition \(r.partition): next offset \(r.nextOffset), full digest \(r.fullDigest)",
                r.lastSealedCycle < 0
                    ? "  chain: no cycle sealed yet"
                    : "  chain: last sealed cycle \(r.lastSealedCycle) (\(r.sealedCycles) sealed), digest \(r.lastSealedDigest)",
                "  open cycle running hash \(r.openHash.isEmpty ? "(empty)" : r.openHash)",
            ]
            if r.chainSinceOffset > 0 {
                lines.append("  chain since offset \(r.chainSinceOffset) (the file predates chained digests; earlier cycles hold full-table digests)")
            }
            lines += r.problems.isEmpty ? ["  ok"] : r.problems.map { "  PROBLEM: \($0)" }
            return lines.joined(separator: "\n")
        }
    }
}
