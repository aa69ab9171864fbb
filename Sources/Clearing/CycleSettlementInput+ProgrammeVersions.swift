extension CycleSettlementInput {
    /// This input with the programme versions its shards' positions list
    /// (`CyclePosition.programmeVersions`), sorted and each once: what the manifest's
    /// `programme_versions` says (docs/programme.md, "Programme versions").
    public func withProgrammeVersions(_ versions: [String]) -> CycleSettlementInput {
        var input = self
        input.programmeVersions = Set(versions).sorted()
        return input
    }
}
