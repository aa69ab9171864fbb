/// How points expire (docs/programme.md, "Expiry"). Filled in by the expiry work; today's
/// rule is `expiry_months` after earning.
public struct ExpiryPolicy: Sendable, Hashable {
    public init() {}
}

extension ProgrammeFile {
    /// The file's `expiry` section.
    struct ExpiryFile: Decodable {}
}

extension Programme {
    static func decodeExpiry(
        _ file: ProgrammeFile.ExpiryFile?, expiryMonths: Int, problems: inout [(field: String, reason: String)]
    ) -> ExpiryPolicy {
        ExpiryPolicy()
    }

    func checkExpiry(_ report: (String, String) -> Void) {}
}
