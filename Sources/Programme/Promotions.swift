/// Promotions, each with its funder (docs/programme.md, "Promotions"). Filled in by the
/// promotions work.
public struct Promotion: Sendable, Hashable {
    public init() {}
}

extension ProgrammeFile {
    /// One entry of the file's `promotions`.
    struct PromotionFile: Decodable {}
}

extension Programme {
    static func decodePromotions(
        _ files: [ProgrammeFile.PromotionFile]?, problems: inout [(field: String, reason: String)]
    ) -> [Promotion] {
        []
    }

    func checkPromotions(_ report: (String, String) -> Void) {}
}
