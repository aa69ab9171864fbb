import Crypto
import Foundation
import Programme

// Programme versions through the log (issue 14, item 7; docs/programme.md, "Programme
// versions"). `loyalty programme publish` writes a `ProgrammeVersion` into every partition;
// each shard switches at that message, so every shard, live or rebuilt, prices the same
// offsets by the same version.
extension Shard {
    /// A programme version the shard has read from its partition.
    public struct ProgrammeVersion: Sendable, Equatable {
        public var version: String
        /// Lowercase hex SHA-256 of the file as published; "" for the programme the shard
        /// was opened with (`baseProgramme`), which the log does not carry.
        public var sha256: String
        /// The first offset it prices (its message's offset + 1); 0 for the base programme.
        public var fromOffset: Int64
        /// When it was published (from the message; informational); 0 for the base.
        public var publishedAtMilliseconds: Int64

        public init(version: String, sha256: String, fromOffset: Int64, publishedAtMilliseconds: Int64) {
            self.version = version
            self.sha256 = sha256
            self.fromOffset = fromOffset
            self.publishedAtMilliseconds = publishedAtMilliseconds
        }
    }

    /// Switches the shard to `release` (the message at `offset`) from `offset + 1` on, and
    /// records it. A release equal to the one in force (same SHA-256) changes nothing.
    /// Throws `.programmeVersion` (and records nothing) when the release cannot be used:
    /// its bytes do not match its hash, this binary cannot load the file, or it changes
    /// what a version may not change; the worker then pauses the partition at this offset,
    /// so nothing after it is priced by the old rules.
    func applyProgrammeRelease(_ release: ProgrammeRelease, offset: Int64) throws(LedgerError) {
        if release.sha256 == programmeSHA256 { return }
        let (next, json) = try Self.load(release, offset: offset, partition: partition, current: programme)
        try store.insertProgrammeRelease(release, json: json, fromOffset: offset + 1)
        store.absorbProgramme("V", offset: offset, [release.version, release.sha256])
        if programmeBeforeBatch == nil { programmeBeforeBatch = (programme, rules, programmeSHA256) }
        programme = next
        rules = LedgerRules(programme: next)
        programmeSHA256 = release.sha256
    }

    /// Every version the shard has read, oldest first, after the base programme (whose
    /// `fromOffset` is 0 and `sha256` "").
    public func programmeVersions() throws(LedgerError) -> [ProgrammeVersion] {
        [ProgrammeVersion(version: baseProgramme.version, sha256: "", fromOffset: 0, publishedAtMilliseconds: 0)]
            + (try store.programmeReleases().map(Self.described))
    }

    /// The version that priced (or, past the shard's next offset, will price) the entry at
    /// `offset`: the base programme when no published version precedes it.
    public func programmeVersion(pricing offset: Int64) throws(LedgerError) -> ProgrammeVersion {
        guard let stored = try store.programmeRelease(pricing: offset) else {
            return ProgrammeVersion(version: baseProgramme.version, sha256: "", fromOffset: 0, publishedAtMilliseconds: 0)
        }
        return Self.described(stored)
    }

    /// The versions the cycle `first...barrier` used: the one in force at its first offset,
    /// then each switched to within it, in order (`CyclePosition.programmeVersions`). Folded
    /// into the open cycle's digest when the shard has read any version, so a ledger that
    /// never saw one chains as before.
    func programmeVersions(ofCycle first: Int64, barrier: Int64) throws(LedgerError) -> [String] {
        let atFirst = try store.programmeRelease(pricing: first)?.release.version ?? baseProgramme.version
        let versions = [atFirst] + (try store.programmeReleases(switchedWithin: first...barrier).map(\.release.version))
        if try !store.newestProgrammeSHA256().isEmpty {
            store.absorbProgramme("W", offset: barrier, versions)
        }
        return versions
    }

    /// Puts back the programme of before the batch that is being rolled back.
    func restoreProgrammeAfterRollback() {
        guard let before = programmeBeforeBatch else { return }
        programmeBeforeBatch = nil
        programme = before.programme
        rules = before.rules
        programmeSHA256 = before.sha256
    }

    /// At the start of a batch: if another connection changed the file's versions since
    /// this shard last looked (the caches' `data_version` case), price by what the file
    /// says now. One primary-key read per batch.
    func followProgrammeOfFile() throws(LedgerError) {
        guard try store.newestProgrammeSHA256() != programmeSHA256 else { return }
        programme = baseProgramme
        rules = LedgerRules(programme: baseProgramme)
        programmeSHA256 = ""
        try restoreNewestProgramme()
    }

    /// At the start of a batch: the programme in force may not be longer than the limits
    /// the shard has archived under (`archive_limits`, migration 23). A version cannot be
    /// (`horizonChangeProblem`), but the worker's programme file prices a log with no
    /// version in it, and it can be edited between two runs. Refused as a version the
    /// binary cannot use is (`.programmeVersion`): the worker pauses the partition and
    /// applies nothing until it is given a file within the limits. One read of a one-row table.
    func checkArchiveLimits() throws(LedgerError) {
        guard let limits = try store.archiveLimits(),
            let problem = Self.horizonChangeProblem(horizonDays: limits.horizonDays, reversalDays: limits.reversalDays, to: programme)
        else { return }
        let source = (programmeSHA256.isEmpty ? "the worker's programme file (version " : "programme version (") + "\"\(programme.version)\")"
        throw LedgerError(
            .programmeVersion,
            "partition \(partition): \(source) cannot price this shard: against the limits it has archived under, \(problem). "
                + "Nothing is applied; give the worker the programme file it archived under, or one with the same or shorter "
                + "idempotency_horizon_days and reversal_window_days (docs/operations.md, \"A partition paused on a programme version\")")
    }

    /// On open: a file that holds published versions resumes with the newest. A version
    /// this binary cannot load (a file written by a newer one) refuses the shard rather than
    /// price by older rules.
    func restoreNewestProgramme() throws(LedgerError) {
        guard let newest = try store.newestProgrammeRelease() else { return }
        let offset = newest.fromOffset - 1
        let (loaded, _) = try Self.load(newest.release, offset: offset, partition: partition, current: nil)
        programme = loaded
        rules = LedgerRules(programme: loaded)
        programmeSHA256 = newest.release.sha256
    }

    private static func described(_ stored: LedgerStore.StoredRelease) -> ProgrammeVersion {
        ProgrammeVersion(
            version: stored.release.version, sha256: stored.release.sha256, fromOffset: stored.fromOffset,
            publishedAtMilliseconds: stored.release.publishedAtMilliseconds)
    }

    /// The programme of `release`, and its file as text, or the error that pauses the
    /// partition: the hash, UTF-8, the file itself (`Programme.decode`: every problem, with
    /// unknown keys from a newer binary among them), its `version` equal to the message's,
    /// and a change from `current` a version may make (`versionChangeProblem`; nil on
    /// reopening: the stored version was accepted when it was read).
    static func load(
        _ release: ProgrammeRelease, offset: Int64, partition: Int32, current: Programme?
    ) throws(LedgerError) -> (Programme, String) {
        func refuse(_ reason: String) -> LedgerError {
            LedgerError(
                .programmeVersion,
                "partition \(partition) offset \(offset): programme version \"\(release.version)\" (sha256 \(release.sha256)) cannot be used: \(reason). "
                    + "Nothing from this offset on is applied; run a worker whose binary can load this version "
                    + "(docs/operations.md, \"A partition paused on a programme version\")")
        }
        let digest = ProgrammeRelease.sha256Hex(of: release.json)
        guard digest == release.sha256 else {
            throw refuse("the file's SHA-256 is \(digest), not the one published (the message was damaged)")
        }
        guard let json = String(validating: release.json, as: UTF8.self) else {
            throw refuse("the file is not UTF-8 text")
        }
        let loaded: Programme
        do {
            loaded = try Programme.decode(jsonData: Data(release.json))
        } catch {
            let problems = error.problems.map { "\($0.field): \($0.reason)" }.joined(separator: "; ")
            throw refuse("this binary cannot load the file (a newer binary's keys, or an invalid file): \(problems)")
        }
        guard loaded.version == release.version else {
            throw refuse("the file's version is \"\(loaded.version)\", not the one published")
        }
        if let current, let problem = versionChangeProblem(from: current, to: loaded) {
            throw refuse(problem)
        }
        return (loaded, json)
    }

    /// Why `next` may not follow `current` as a programme version (nil: it may). A version
    /// may change earn rates, fees, partners, rules; not the settlement currency (every
    /// cycle settles in one), nor what a point is worth in settlement — the programme's
    /// point value, or a partner's in both versions — because the clearing node prices all
    /// of a cycle's redeemed points at one value per partner when it cross-checks the debts
    /// (CycleCheck); nor the funding model or kind of a partner in both versions (who pays
    /// for its open points, how it settles); nor lengthen or remove the idempotency horizon
    /// or the reversal window (`horizonChangeProblem`). `loyalty programme publish
    /// --current` asks the same before publishing.
    public static func versionChangeProblem(from current: Programme, to next: Programme) -> String? {
        if let problem = horizonChangeProblem(from: current, to: next) { return problem }
        if next.currency != current.currency || next.currencyExponent != current.currencyExponent {
            return "it changes the settlement currency from \(current.currency) (exponent \(current.currencyExponent)) to "
                + "\(next.currency) (exponent \(next.currencyExponent)); every cycle settles in one currency"
        }
        if next.pointValueMinor != current.pointValueMinor {
            return "it changes point_value_minor from \(current.pointValueMinor) to \(next.pointValueMinor); "
                + "points already issued were priced at the old value"
        }
        for partner in next.partners {
            guard let before = current.partner(partner.id) else { continue }
            // Read at redemption, not recorded on the lots: a switch would move who pays for
            // points already open (docs/design.md, the funding models' departure).
            if partner.fundingModel != before.fundingModel {
                return "it changes the funding model of \(partner.id) from \(before.fundingModel.rawValue) to \(partner.fundingModel.rawValue); "
                    + "its open points were issued under the old one (add a new partner id instead)"
            }
            if partner.kind != before.kind {
                return "it changes the kind of \(partner.id) from \(before.kind.rawValue) to \(partner.kind.rawValue); "
                    + "its cycles, statements and conversions are kept by kind (add a new partner id instead)"
            }
            let (was, now) = (current.settlementPointValueMinor(partnerId: partner.id), next.settlementPointValueMinor(partnerId: partner.id))
            if was != now {
                return "it changes the settlement value of a point redeemed at \(partner.id) from \(was) to \(now); "
                    + "the clearing node checks a cycle's redemptions at one value per partner"
            }
        }
        return nil
    }
}

extension Shard {
    /// Why `next` may not follow `current` for its horizons (nil: it may). Rows leave the
    /// hot tables, and keys the duplicate filter, once they are older than the limits in
    /// force (LedgerRules+Horizon); a longer limit later would let a retry or a reversal
    /// reach back to what is no longer there, and a retry of an archived transaction would
    /// be taken as new and paid twice. A version may add the limits or shorten them.
    static func horizonChangeProblem(from current: Programme, to next: Programme) -> String? {
        horizonChangeProblem(horizonDays: current.idempotencyHorizonDays, reversalDays: current.reversalWindowDays, to: next)
            .map { $0 + ". A version may add or shorten the horizons, never lengthen or remove them" }
    }

    /// Why `next` may not price entries after limits of `horizonDays` and `reversalDays`
    /// (nil: it may): the change it makes and what it would cost.
    static func horizonChangeProblem(horizonDays: Int?, reversalDays: Int?, to next: Programme) -> String? {
        let limits = [
            (
                "idempotency_horizon_days", horizonDays, next.idempotencyHorizonDays,
                "a retry of a transaction older than that would be taken as new and paid twice"
            ),
            (
                "reversal_window_days", reversalDays, next.reversalWindowDays,
                "a refund or cancel of an original older than that would not find it"
            ),
        ]
        for (field, was, now, consequence) in limits {
            guard let was, now.map({ $0 > was }) ?? true else { continue }
            let change = now.map { "lengthens \(field) from \(was) to \($0) days" } ?? "removes \(field) (\(was) days)"
            return "it \(change); rows older than \(was) days may already be archived and their keys forgotten, so \(consequence)"
        }
        return nil
    }
}

extension ProgrammeRelease {
    /// The release of a programme file as `loyalty programme publish` sends it: the bytes
    /// verbatim, their SHA-256 and the file's own `version`. Throws the file's problems
    /// (nothing is published for an invalid file) or that it is not UTF-8 text.
    public init(file json: [UInt8], publishedAtMilliseconds: Int64) throws(ProgrammeError) {
        guard String(validating: json, as: UTF8.self) != nil else {
            throw ProgrammeError(field: "$", reason: "the file is not UTF-8 text")
        }
        let programme = try Programme.decode(jsonData: Data(json))
        self.init(
            version: programme.version, sha256: Self.sha256Hex(of: json), json: json, publishedAtMilliseconds: publishedAtMilliseconds)
    }

    /// Lowercase hex SHA-256 of `bytes`, as `sha256` holds it.
    public static func sha256Hex(of bytes: [UInt8]) -> String {
        ChainHasher.hex(SHA256.hash(data: bytes))
    }
}
