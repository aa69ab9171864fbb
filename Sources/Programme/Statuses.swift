/// Statuses (tiers): qualification and what each status earns (docs/programme.md,
/// "Statuses"). Filled in by the statuses work.
public struct StatusRules: Sendable, Hashable {
    public init() {}
}

extension ProgrammeFile {
    /// The file's `statuses` section.
    struct StatusesFile: Decodable {}
}

extension Programme {
    static func decodeStatuses(
        _ file: ProgrammeFile.StatusesFile?, problems: inout [(field: String, reason: String)]
    ) -> StatusRules {
        StatusRules()
    }

    func checkStatuses(_ report: (String, String) -> Void) {}
}
