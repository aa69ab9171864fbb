import Programme
import SQLite

/// The programme versions a shard has read from its partition (migration 14): each
/// `ProgrammeVersion` message's file, byte for byte, keyed by the first offset it prices,
/// and the versions each sealed cycle used, as its position published them.
extension LedgerStore {
    /// One row of `programme_versions`.
    struct StoredRelease {
        /// The first offset this version prices: its message's offset + 1.
        var fromOffset: Int64
        var release: ProgrammeRelease
    }

    /// Every recorded version, oldest first (without their files: `json` empty).
    func programmeReleases() throws(LedgerError) -> [StoredRelease] {
        try readReleases("SELECT from_offset, version, sha256, published_at, '' FROM programme_versions ORDER BY from_offset")
    }

    /// The SHA-256 of the newest recorded version, "" before the first: read at every
    /// batch, so only the key and the hash, never the file.
    func newestProgrammeSHA256() throws(LedgerError) -> String {
        let s = try db.prepare("SELECT sha256 FROM programme_versions ORDER BY from_offset DESC LIMIT 1")
        defer { s.reset() }
        return try s.step() ? s.text(0) : ""
    }

    /// The newest recorded version (the one in force now), nil before the first.
    func newestProgrammeRelease() throws(LedgerError) -> StoredRelease? {
        try readReleases(
            "SELECT from_offset, version, sha256, published_at, json FROM programme_versions ORDER BY from_offset DESC LIMIT 1"
        ).first
    }

    /// The version that priced (or will price) `offset`: the newest whose from_offset ≤
    /// `offset`; nil when the programme the shard was opened with did. Without its file.
    func programmeRelease(pricing offset: Int64) throws(LedgerError) -> StoredRelease? {
        try readReleases(
            "SELECT from_offset, version, sha256, published_at, '' FROM programme_versions WHERE from_offset <= ? ORDER BY from_offset DESC LIMIT 1",
            offset
        ).first
    }

    /// The versions switched to at from_offsets in `offsets` (a cycle's), in order; without
    /// their files.
    func programmeReleases(switchedWithin offsets: ClosedRange<Int64>) throws(LedgerError) -> [StoredRelease] {
        try readReleases(
            "SELECT from_offset, version, sha256, published_at, '' FROM programme_versions WHERE from_offset > ? AND from_offset <= ? ORDER BY from_offset",
            offsets.lowerBound, offsets.upperBound)
    }

    func insertProgrammeRelease(_ release: ProgrammeRelease, json: String, fromOffset: Int64) throws(LedgerError) {
        try db.prepare("INSERT INTO programme_versions (from_offset, version, sha256, published_at, json) VALUES (?, ?, ?, ?, ?)")
            .bind(
                .integer(fromOffset), .text(release.version), .text(release.sha256), .integer(release.publishedAtMilliseconds),
                .text(json)
            ).run()
    }

    /// Folds a programme change into the open cycle's digest as a piece of the entry at
    /// `offset` (a release's own entry, or the sealing barrier's), so the chain does not
    /// depend on which entry happened to be gathered before it in the batch.
    func absorbProgramme(_ tag: Unicode.Scalar, offset: Int64, _ texts: [String]) {
        precondition(batch != nil, "absorbProgramme outside apply")
        chain.piece(UInt8(ascii: tag), offset: offset)
        chain.list(texts) { $0.text($1) }
    }

    /// Records the versions a cycle being sealed used (its position reads them back).
    func insertCycleProgrammeVersions(cycle: Int64, _ versions: [String]) throws(LedgerError) {
        for (seq, version) in versions.enumerated() {
            try db.prepare("INSERT INTO cycle_programme_versions (cycle, seq, version) VALUES (?, ?, ?)")
                .bind(.integer(cycle), .integer(Int64(seq)), .text(version)).run()
        }
    }

    private func readReleases(_ sql: StaticString, _ values: Int64...) throws(LedgerError) -> [StoredRelease] {
        let s = try db.prepare(sql)
        for (index, value) in values.enumerated() { s.bindInteger(Int32(index + 1), value) }
        defer { s.reset() }
        var rows: [StoredRelease] = []
        while try s.step() {
            rows.append(
                StoredRelease(
                    fromOffset: s.int64(0),
                    release: ProgrammeRelease(
                        version: s.text(1), sha256: s.text(2), json: Array(s.text(4).utf8), publishedAtMilliseconds: s.int64(3))))
        }
        return rows
    }
}
