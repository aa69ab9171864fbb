import Programme

// Programme versions through the log (issue 14, item 7): owned by the programme-versions work.
extension Shard {
    /// Switches the shard to `release` from `offset` on. Not built yet: a shard refuses the
    /// message rather than keep pricing by the old rules.
    func applyProgrammeRelease(_ release: ProgrammeRelease, offset: Int64) throws(LedgerError) {
        throw LedgerError(
            .invalidBatch,
            "offset \(offset): programme version \(release.version) was published into the log, and this worker cannot switch versions yet")
    }
}
