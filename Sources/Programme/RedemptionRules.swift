/// A partner's redemption rules (docs/programme.md, "Redemption rules"). Filled in by the
/// redemption work.
public struct RedemptionRules: Sendable, Hashable {
    public init() {}
}

extension ProgrammeFile {
    /// A partner's `redemption` section.
    struct RedemptionFile: Decodable {}
}

extension Programme {
    static func decodeRedemption(
        _ file: ProgrammeFile.RedemptionFile?, base: String, problems: inout [(field: String, reason: String)]
    ) -> RedemptionRules {
        RedemptionRules()
    }

    func checkRedemption(_ partner: Partner, base: String, _ report: (String, String) -> Void) {}
}
