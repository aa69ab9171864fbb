import ArgumentParser
import Foundation
import Ledger
import Logging
import Programme
import Worker

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Look into shard files, or rebuild one from the log.",
        subcommands: [Inspect.self, Rebuild.self, Snapshot.self, Restore.self, Verify.self, History.self, Cards.self]
    )
}

extension LedgerCommand {
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A member's balance and lots, or a shard's totals.",
            discussion: "Without --member: the totals of --partition, or of every shard in --data."
        )

        @OptionGroup var shards: ShardsOption
        @OptionGroup var archives: ArchiveDirOption
        @Option(help: "Show this member's balance and lots (searched in every shard).") var member: String?
        @Option(help: "With --member: the moment (UTC milliseconds since 1970) whose spendable balance to show; default now.")
        var at: Int64?
        @OptionGroup var programme: ProgrammeOption

        /// Pending and expiring points (issue 13) under the lots table: what a balance answer
        /// at `time` says, and the pending lots' release times.
        static func pointFacts(_ answer: (balance: Int64, facts: MemberFacts), view: MemberView, at time: Int64) -> String {
            var lines = ["spendable at \(Timestamp.iso(time)) by the programme's rules: \(Format.grouped(answer.balance)) points"]
            if !answer.facts.status.isEmpty { lines.append("status at \(Timestamp.iso(time)): \(answer.facts.status)") }
            let pending = view.lots.filter { $0.availableAtMilliseconds > time && $0.expiresAtMilliseconds > time }
            lines.append(
                "pending (in a partner's return window, not spendable): \(Format.grouped(answer.facts.pendingPoints)) points"
                    + pending.map { " — lot \($0.lotId): \(Format.grouped($0.pointsLeft)) released \(Timestamp.iso($0.availableAtMilliseconds))" }
                    .joined())
            if answer.facts.expiringBeforeMilliseconds != 0 {
                lines.append(
                    "expiring by \(Timestamp.iso(answer.facts.expiringBeforeMilliseconds)) (30 days): \(Format.grouped(answer.facts.expiringPoints)) points"
                )
            }
            return lines.joined(separator: "\n")
        }

        func run() async throws {
            let programme = try programme.load()
            let files = try shards.files()
            if let member {
                for file in files {
                    let shard = try Shard(path: file.path, partition: file.partition, programme: programme)
                    defer { shard.close() }
                    let view = try shard.member(member)
                    guard !view.lots.isEmpty || view.balance != 0 || view.shortfall != 0 else { continue }
                    let time = at ?? Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                    let answer = try shard.balanceAnswer(member, at: time)
                    print(
                        Report.member(
                            view, spendable: answer.balance, pending: answer.facts.pendingPoints, at: time, partition: file.partition,
                            programme: programme))
                    print(Self.pointFacts(answer, view: view, at: time))
                    if let company = programme.companies.company(accountMemberId: member) { print("company account: " + Self.companyLine(company)) }
                    return
                }
                throw CLIError("member \(member) has no points in any shard of \(shards.data)")
            }
            var all: [ShardTotals] = []
            var companyBalances: [String: Int64] = [:]  // Ledger+Companies
            for file in files {
                let shard = try Shard(
                    path: file.path, partition: file.partition, programme: programme,
                    archiveDirectory: archives.directory(partition: file.partition))
                defer { shard.close() }
                let totals = try shard.totals()
                print("partition \(file.partition): next offset \(totals.nextOffset), digest \(try shard.digest())")
                if let line = ProgrammeCommand.Publish.versionsLine(try shard.programmeVersions()) { print("  " + line) }
                print("  " + Self.hotHistoryLine(try shard.hotHistory()))
                print("  " + Self.archiveLimitsLine(try shard.archiveLimits()))
                all.append(totals)
                companyBalances.merge(try Self.companyBalances(shard, programme: programme)) { $0 + $1 }
            }
            print("")
            print(Report.partners(all, programme: programme))
            print("")
            print(Report.debts(all, programme: programme))
            for line in Self.companyLines(companyBalances, programme: programme) { print(line) }
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a partition from the log into a new shard file and compare it with the live one.",
            discussion: """
                The ledger is a function of its partition's records, so replaying them from \
                offset 0 must give the same digest as the live shard at the same offset. \
                Nothing is published while replaying. Stop the partition's worker first, or \
                the live file may move on while the replay runs.
                """
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var programme: ProgrammeOption
        @Option(help: "Directory of the live shard files.") var data = "var/worker"
        @Option(help: "Partition to rebuild.") var partition: Int32
        @Option(help: "Where to write the rebuilt shard (default: <data>/rebuilt/shard-NNNN.sqlite).") var out: String?
        @OptionGroup var archives: ArchiveDirOption
        @OptionGroup var log: LogOptions

        func run() async throws {
            let logger = try log.bootstrap(label: "loyalty.rebuild")
            let programme = try programme.load()
            let livePath = WorkerConfiguration.shardPath(dataDirectory: data, partition: partition)
            guard FileManager.default.fileExists(atPath: livePath) else {
                throw CLIError("no live shard for partition \(partition) at \(livePath)")
            }
            let live = try Shard(
                path: livePath, partition: partition, programme: programme, archiveDirectory: archives.directory(partition: partition))
            let liveOffset = try live.nextOffset()
            let liveDigest = try live.digest()
            let livePositions = try live.positions()
            let liveChain = try live.verify().chainSinceOffset
            live.close()

            let result = try await ShardRebuilder(
                bootstrapServers: try kafka.resolvedBootstrapServers(),
                kafkaExtra: try kafka.extra(),
                programme: programme,
                logger: logger
            ).rebuild(partition: partition, upTo: liveOffset, into: out ?? "\(data)/rebuilt")
            print("live    partition \(partition): next offset \(liveOffset), digest \(liveDigest)")
            print("rebuilt partition \(partition): next offset \(result.nextOffset), digest \(result.digest)")
            print("rebuilt file: \(result.path)")
            // The sealed (chained) digests, cycle by cycle: the first that differs is where
            // the live file and its log part (every later one differs with it).
            if let difference = ShardRebuilder.firstDifference(live: livePositions, rebuilt: result.positions) {
                print(
                    "first differing cycle: \(difference.cycle) (live \(difference.live ?? "not sealed"), rebuilt \(difference.rebuilt ?? "not sealed"))"
                )
                if liveChain > 0 {
                    print("note: the live file's chain starts at offset \(liveChain) (it predates chained digests): cycles sealed before that differ")
                }
            } else {
                print("sealed cycles: \(livePositions.count), every digest equal")
            }
            guard result.digest == liveDigest else {
                throw CLIError("digests differ: the live shard is not what its partition's log gives")
            }
            print("identical")
        }
    }
}

/// Shard files found in a data directory.
enum ShardFiles {
    struct File {
        let partition: Int32
        let path: String
    }

    static func list(in directory: String) throws -> [File] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw CLIError("\(directory) is not a readable directory")
        }
        return names.compactMap { name -> File? in
            guard name.hasPrefix("shard-"), name.hasSuffix(".sqlite"),
                let partition = Int32(name.dropFirst(6).dropLast(7))
            else { return nil }
            return File(partition: partition, path: "\(directory)/\(name)")
        }.sorted { $0.partition < $1.partition }
    }
}
