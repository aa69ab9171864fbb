import Foundation
import Programme
import Testing

@testable import Ledger
@testable import LedgerArchive

/// The member index beside each archive (`ArchiveMemberIndex`): `ledger history` reads only
/// the archives that hold the member, answers exactly as reading them all, trusts no index
/// of another archive or a damaged one, and indexes archives written before it existed.
@Suite struct ArchiveMemberIndexTests {
    static let sha = String(repeating: "ab", count: 32)

    @Test func anIndexSaysNoOnlyForAMemberItDoesNotList() {
        let index = ArchiveMemberIndex.encode(members: ["m10", "m2", "m10", "é x"], archiveSHA256: Self.sha)
        for member in ["m10", "m2", "é x"] { #expect(ArchiveMemberIndex.mayHold(member: member, index: index, archiveSHA256: Self.sha) == true) }
        for member in ["m1", "m", "0", "2", "", "m10 ", "x"] {
            #expect(ArchiveMemberIndex.mayHold(member: member, index: index, archiveSHA256: Self.sha) == false, "\(member)")
        }
        // Another archive's index, a torn one, another format: no answer.
        let other = String(repeating: "cd", count: 32)
        #expect(ArchiveMemberIndex.mayHold(member: "m1", index: index, archiveSHA256: other) == nil)
        #expect(ArchiveMemberIndex.mayHold(member: "m1", index: Array(index.dropLast(3)), archiveSHA256: Self.sha) == nil)
        #expect(ArchiveMemberIndex.mayHold(member: "m1", index: Array(index.prefix(40)), archiveSHA256: Self.sha) == nil)
        #expect(ArchiveMemberIndex.mayHold(member: "m1", index: [UInt8]("LOYARCZ1".utf8) + index.dropFirst(8), archiveSHA256: Self.sha) == nil)
        // A damaged length (1 GiB) is not allocated.
        var inflated = index
        for offset in 0..<8 { inflated[72 + offset] = offset == 4 ? 0x40 : 0 }
        #expect(ArchiveMemberIndex.mayHold(member: "m1", index: inflated, archiveSHA256: Self.sha) == nil)
    }

    @Test func historyReadsOnlyTheArchivesHoldingTheMemberAndAnswersAsReadingThemAll() throws {
        var (_, days, bounded, plain) = try ArchiveTests.twoShards(seed: 23, days: 70)
        // A member on two days only, among 30 on every day.
        for day in [3, 20] {
            let entry = days[day][0]
            guard case .transaction(let t) = entry.kind else { continue }
            days[day][0] = LedgerEntry(
                offset: entry.offset,
                kind: .transaction(
                    Transaction(
                        partnerId: t.partnerId, partnerTxnId: "rare-\(day)", memberId: "rare", eventTimeMilliseconds: t.eventTimeMilliseconds,
                        body: .accrual(amountMinor: 10_000, currency: "EUR", category: "any"))))
        }
        for day in days {
            _ = try bounded.shard.apply(day, batchSize: 1_000)
            _ = try plain.shard.apply(day, batchSize: 1_000)
        }
        let directory = bounded.shard.archiveDirectory
        let archives = try bounded.shard.archives().filter { $0.journalRows > 0 }
        #expect(archives.count > 20)
        for archive in archives {
            #expect(FileManager.default.fileExists(atPath: ArchiveMemberIndex.path(ofArchive: directory + "/" + archive.file)), "\(archive.file)")
        }

        for member in ["rare", "m7", "nobody"] {
            let history = try bounded.shard.memberHistory(member)
            let all = try plain.shard.history(ofMember: member)
            #expect(history.entries.map(\.offset) == all.map(\.offset), "\(member)")
            #expect(history.entries.map(\.partnerTxnId) == all.map(\.partnerTxnId), "\(member)")
            // Read: exactly the archives its rows came from; the others skipped, unopened.
            #expect(history.archivesRead == Set(history.entries.compactMap(\.archive)).count, "\(member)")
            #expect(history.archivesRead + history.archivesSkipped == archives.count)
            #expect(history.archivesIndexed == 0)
        }
        let rare = try bounded.shard.memberHistory("rare")
        #expect(rare.archivesRead == 2 && rare.entries.count == 2)

        // Archives written before the index (or whose index was lost): all read, the same
        // answer, and indexed for the next question.
        for archive in archives { try FileManager.default.removeItem(atPath: ArchiveMemberIndex.path(ofArchive: directory + "/" + archive.file)) }
        let unindexed = try bounded.shard.memberHistory("rare")
        #expect(unindexed.entries == rare.entries)
        #expect(unindexed.archivesRead == archives.count && unindexed.archivesIndexed == archives.count && unindexed.archivesSkipped == 0)
        #expect(try bounded.shard.memberHistory("rare") == rare)

        // Another archive's index in its place, or a torn one: not trusted, the archive is
        // read (and indexed again).
        let paths = archives.prefix(3).map { ArchiveMemberIndex.path(ofArchive: directory + "/" + $0.file) }
        try FileManager.default.removeItem(atPath: paths[1])
        try FileManager.default.copyItem(atPath: paths[0], toPath: paths[1])
        let whole = try #require(FileManager.default.contents(atPath: paths[2]))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: paths[2]))
        let distrusted = try bounded.shard.memberHistory("rare")
        #expect(distrusted.entries == rare.entries)
        #expect(distrusted.archivesIndexed == 2)
        #expect(distrusted.archivesRead == Set(rare.entries.compactMap(\.archive)).union([archives[1].file, archives[2].file]).count)
        #expect(try bounded.shard.memberHistory("rare") == rare)
        #expect(try bounded.shard.verifyArchives().isEmpty)

        // An index that hides the member (rewritten without it, bound to the right file):
        // history would skip the archive, and `verify` names the index.
        let held = try #require(archives.first { $0.file == rare.entries.first?.archive })
        let heldPath = directory + "/" + held.file
        let others = try #require(ArchiveMemberIndex.members(archivePath: heldPath, archiveSHA256: held.fileSHA256))
        #expect(others.contains("rare"))
        ArchiveMemberIndex.write(members: others.subtracting(["rare"]), archiveSHA256: held.fileSHA256, archivePath: heldPath)
        #expect(try bounded.shard.memberHistory("rare").entries.count == 1)
        let problems = try bounded.shard.verifyArchives()
        #expect(problems.count == 1 && problems.first?.hasPrefix(ArchiveMemberIndex.path(ofArchive: heldPath)) == true, "\(problems)")
    }
}
