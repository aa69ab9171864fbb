import Foundation
import Ledger
import Programme
import Testing

/// Programme versions through the log (docs/programme.md, "Programme versions"): a
/// `.programme` entry switches the shard's pricing from the next offset, replays agree,
/// and a release the shard cannot use changes nothing.
@Suite(.timeLimit(.minutes(10)))
struct ProgrammeVersionTests {
    /// The sample programme (version 2026-11-01): the hotel earns 6 %, grocery 1 %.
    static let v1 = Programme.sample
    /// Version 2026-12-01: the hotel earns 12 %, grocery 4 %; everything else as v1.
    static let v2JSON = Programme.sampleJSON
        .replacingOccurrences(of: "\"version\": \"2026-11-01\"", with: "\"version\": \"2026-12-01\"")
        .replacingOccurrences(of: "\"earn_bp\": { \"default\": 600, \"categories\": {} }", with: "\"earn_bp\": { \"default\": 1200 }")
        .replacingOccurrences(
            of: "\"earn_bp\": { \"default\": 100, \"categories\": { \"organic\": 200 } }",
            with: "\"earn_bp\": { \"default\": 400, \"categories\": { \"organic\": 200 } }")
    static let v3JSON = v2JSON.replacingOccurrences(of: "\"version\": \"2026-12-01\"", with: "\"version\": \"2027-01-01\"")
        .replacingOccurrences(of: "\"earn_bp\": { \"default\": 1200 }", with: "\"earn_bp\": { \"default\": 300 }")

    static func release(_ json: String, at time: Int64 = Clock.t0) throws -> ProgrammeRelease {
        try ProgrammeRelease(file: Array(json.utf8), publishedAtMilliseconds: time)
    }

    static func accrual(_ partner: String, _ txn: String, _ member: String, _ amount: Int64, at time: Int64 = Clock.t0) -> LedgerEntry.Kind {
        .transaction(
            Transaction(
                partnerId: partner, partnerTxnId: txn, memberId: member, eventTimeMilliseconds: time,
                body: .accrual(amountMinor: amount, currency: "EUR", category: "any")))
    }

    static func position(_ outputs: [LedgerOutput]) -> CyclePosition? {
        for case .position(let position) in outputs { return position }
        return nil
    }

    static func points(_ outputs: [LedgerOutput]) -> [Int64] {
        outputs.compactMap { if case .result(_, _, let outcome, _, _) = $0 { outcome.pointsDelta } else { nil } }
    }

    @Test func theVersionChangesPricingAtItsOffset() throws {
        #expect(Self.v1.partner("hotel")?.earnDefaultBasisPoints == 600)
        let v2 = try Self.release(Self.v2JSON)
        #expect(v2.version == "2026-12-01")
        let h = try Harness(programme: Self.v1)
        // Offsets 0-1 by v1, 2 the release, 3-4 by v2, 5 a barrier.
        let outputs = try h.run([
            Self.accrual("hotel", "h1", "m1", 10_000), Self.accrual("grocery", "g1", "m2", 10_000), .programme(v2),
            Self.accrual("hotel", "h2", "m1", 10_000), Self.accrual("grocery", "g2", "m2", 10_000),
            .barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + Clock.day),
        ])
        #expect(Self.points(outputs) == [600, 100, 1_200, 400])
        #expect(h.shard.programme.version == "2026-12-01")
        #expect(h.shard.baseProgramme.version == "2026-11-01")
        let position = try #require(Self.position(outputs))
        #expect(position.programmeVersions == ["2026-11-01", "2026-12-01"])
        // Which version priced which offset.
        #expect(try h.shard.programmeVersion(pricing: 1).version == "2026-11-01")
        #expect(try h.shard.programmeVersion(pricing: 1).sha256 == "")
        #expect(try h.shard.programmeVersion(pricing: 2).version == "2026-11-01")
        #expect(
            try h.shard.programmeVersion(pricing: 3)
                == Shard.ProgrammeVersion(
                    version: "2026-12-01", sha256: v2.sha256, fromOffset: 3, publishedAtMilliseconds: Clock.t0))
        #expect(try h.shard.programmeVersions().map(\.version) == ["2026-11-01", "2026-12-01"])
        // The next cycle used v2 only; a repeated barrier republishes the stored position.
        let next = try h.run([Self.accrual("hotel", "h3", "m1", 100), .barrier(cycle: 2, closedAtMilliseconds: Clock.t0 + 2 * Clock.day)])
        #expect(Self.position(next)?.programmeVersions == ["2026-12-01"])
        let again = try h.run([.barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + Clock.day)])
        #expect(Self.position(again) == position)
        #expect(try h.shard.positions().map(\.programmeVersions) == [["2026-11-01", "2026-12-01"], ["2026-12-01"]])
    }

    @Test func theSameReleaseAgainChangesNothing() throws {
        let v2 = try Self.release(Self.v2JSON)
        // An entry that changes nothing (a balance inquiry) in place of the repeat.
        let h = try Harness(programme: Self.v1)
        try h.run([.programme(v2), Self.accrual("hotel", "h1", "m1", 10_000), .inquiry(memberId: "m1", atMilliseconds: Clock.t0)])
        // Published twice (the operator ran publish again): the repeat is ignored.
        let other = try Harness(programme: Self.v1)
        try other.run([.programme(v2), Self.accrual("hotel", "h1", "m1", 10_000), .programme(v2)])
        #expect(try other.shard.programmeVersions().count == 2)
        #expect(try other.shard.nextOffset() == 3)
        #expect(try other.shard.digest() == h.shard.digest())
        #expect(Self.points(try other.run([Self.accrual("hotel", "h2", "m1", 10_000)])) == [1_200])
    }

    /// The issue's replay rule with versions: a workload with releases in the middle gives
    /// the same ledger, positions and outputs whatever the batch sizes, and reopening the
    /// file between batches resumes with the version in force.
    @Test func replayWithReleasesIsIndependentOfBatchesAndReopening() async throws {
        let releases = [try Self.release(Self.v2JSON), try Self.release(Self.v3JSON), try Self.release(Programme.sampleJSON)]
        var entries = Workload.entries(seed: 14, count: 2_400, programme: Self.v1, members: 30)
        for (index, release) in releases.enumerated() {
            entries[500 + 600 * index].kind = .programme(release)
        }
        var digests: Set<String> = []
        var allPositions: [[CyclePosition]] = []
        var allOutputs: [[LedgerOutput]] = []
        for size in [1, 13, 400, 2_400] {
            let h = try Harness(programme: Self.v1)
            allOutputs.append(try await h.shard.applyYielding(entries, batchSize: size))
            digests.insert(try h.shard.digest())
            allPositions.append(try h.shard.positions())
        }
        #expect(digests.count == 1)
        #expect(Set(allPositions).count == 1)
        #expect(allOutputs.dropFirst().allSatisfy { $0 == allOutputs[0] })
        // Every version shows up in the cycles' lists, in log order.
        let used = allPositions[0].flatMap(\.programmeVersions)
        #expect(Set(used) == ["2026-11-01", "2026-12-01", "2027-01-01"])
        #expect(allPositions[0].count > 5)
        // Reopened between batches (with the base file, as a restarted worker would be).
        let h = try Harness(programme: Self.v1)
        var start = 0
        for end in [450, 700, 1_300, 1_900, 2_400] {
            try h.shard.apply(Array(entries[start..<end]), batchSize: 97)
            try h.reopen()
            start = end
            await Task.yield()
        }
        #expect(h.shard.programme.version == "2026-11-01")  // the third release went back to the sample
        #expect(try h.shard.programmeVersions().map(\.version) == ["2026-11-01", "2026-12-01", "2027-01-01", "2026-11-01"])
        #expect(try h.shard.digest() == digests.first)
        #expect(try h.shard.positions() == allPositions[0])
    }

    @Test func versionsSurviveReopening() throws {
        let v2 = try Self.release(Self.v2JSON)
        let h = try Harness(programme: Self.v1)
        try h.run([.programme(v2)])
        try h.reopen()
        #expect(h.shard.programme.version == "2026-12-01")
        #expect(h.shard.baseProgramme.version == "2026-11-01")
        #expect(Self.points(try h.run([Self.accrual("hotel", "h1", "m1", 10_000)])) == [1_200])
        #expect(try h.shard.programmeVersions().last?.sha256 == v2.sha256)
    }

    @Test func aShardLeftOpenFollowsAVersionAnotherConnectionApplied() throws {
        let h = try Harness(programme: Self.v1)
        try h.run([Self.accrual("hotel", "h1", "m1", 10_000)])
        // The partition moves to another worker (another connection) and back, while this
        // Shard object stays open: it must price by the file's version, not its own.
        let other = try Shard(path: h.path, partition: 3, programme: Self.v1)
        _ = try other.apply(LedgerBatch(entries: [LedgerEntry(offset: 1, kind: .programme(try Self.release(Self.v2JSON)))], nextOffset: 2)) { _ in }
        other.close()
        h.offset = 2
        #expect(Self.points(try h.run([Self.accrual("hotel", "h2", "m1", 10_000)])) == [1_200])
        #expect(h.shard.programme.version == "2026-12-01")
    }

    @Test func aRolledBackReleaseLeavesTheOldVersion() throws {
        let v2 = try Self.release(Self.v2JSON)
        let h = try Harness(programme: Self.v1)
        let pending = try h.shard.begin(
            LedgerBatch(
                entries: [LedgerEntry(offset: 0, kind: .programme(v2)), LedgerEntry(offset: 1, kind: Self.accrual("hotel", "h1", "m1", 10_000))],
                nextOffset: 2))
        #expect(h.shard.programme.version == "2026-12-01")
        h.shard.rollback(pending)  // as when publishing the batch's results failed
        #expect(h.shard.programme.version == "2026-11-01")
        #expect(try h.shard.programmeVersions().count == 1)
        // The retry prices its entries as the first attempt did.
        let outputs = try h.shard.apply(
            LedgerBatch(
                entries: [LedgerEntry(offset: 0, kind: Self.accrual("hotel", "h0", "m1", 10_000)), LedgerEntry(offset: 1, kind: .programme(v2))],
                nextOffset: 2)
        ) { _ in }
        #expect(Self.points(outputs) == [600])
    }

    /// A release the shard cannot use: the batch throws `.programmeVersion`, naming the
    /// partition, offset, version and reason, and the file is as before (the entries before
    /// it in the same batch included: the worker retries nothing, it pauses the partition).
    @Test(arguments: [
        ("bad hash", "SHA-256"), ("unknown key", "cannot load"), ("currency", "settlement currency"), ("version", "the file's version"),
        ("point value", "point_value_minor"), ("funding model", "funding model of hotel"), ("kind", "kind of hotel"),
    ])
    func aReleaseThatCannotBeUsedThrowsAndChangesNothing(_ kind: String, _ expected: String) throws {
        var release = try Self.release(Self.v2JSON)
        switch kind {
        case "bad hash":
            release.sha256 = String(repeating: "0", count: 64)
        case "unknown key":
            release = try Self.release(Self.v2JSON)
            let json = Self.v2JSON.replacingOccurrences(of: "\"expiry_months\": 24,", with: "\"expiry_months\": 24, \"loyalty_tax_bp\": 5,")
            release.json = Array(json.utf8)
            release.sha256 = try Self.hash(json)
        case "currency":
            release = try Self.release(Self.v2JSON.replacingOccurrences(of: "\"currency\": \"EUR\"", with: "\"currency\": \"CHF\""))
        case "point value":
            release = try Self.release(Self.v2JSON.replacingOccurrences(of: "\"point_value_minor\": 1,", with: "\"point_value_minor\": 2,"))
        case "funding model":
            release = try Self.release(
                Self.v2JSON.replacingOccurrences(
                    of: "\"earn_bp\": { \"default\": 1200 }", with: "\"earn_bp\": { \"default\": 1200 }, \"funding_model\": \"operator_funded\""))
        case "kind":
            release = try Self.release(
                Self.v2JSON.replacingOccurrences(
                    of: "\"earn_bp\": { \"default\": 1200 }", with: "\"earn_bp\": { \"default\": 1200 }, \"kind\": \"catalogue\""))
        default:
            release.version = "2026-12-02"
        }
        let h = try Harness(programme: Self.v1)
        try h.run([Self.accrual("hotel", "h1", "m1", 10_000), .barrier(cycle: 1, closedAtMilliseconds: Clock.t0 + Clock.day)])
        let digest = try h.shard.digest()
        let batch = LedgerBatch(
            entries: [
                LedgerEntry(offset: 2, kind: Self.accrual("hotel", "h2", "m1", 10_000)), LedgerEntry(offset: 3, kind: .programme(release)),
                LedgerEntry(offset: 4, kind: Self.accrual("hotel", "h3", "m1", 10_000)),
            ], nextOffset: 5)
        do {
            _ = try h.shard.apply(batch) { _ in }
            Issue.record("the release was applied")
        } catch let error as LedgerError {
            #expect(error.code == .programmeVersion)
            #expect(error.message.contains("partition 3 offset 3"))
            #expect(error.message.contains("\"\(release.version)\""))
            #expect(error.message.contains(expected), "\(error.message)")
        }
        #expect(try h.shard.digest() == digest)
        #expect(try h.shard.nextOffset() == 2)
        #expect(h.shard.programme.version == "2026-11-01")
        #expect(try h.shard.programmeVersions().count == 1)
    }

    static func hash(_ json: String) throws -> String {
        ProgrammeRelease.sha256Hex(of: Array(json.utf8))
    }
}
