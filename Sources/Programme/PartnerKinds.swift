/// What kind of participant a partner is (docs/programme.md, "Catalogue and exchange
/// partners"): a merchant issues and takes points; the operator's own reward catalogue only
/// takes them; an exchange partner (an airline programme, a hotel chain's) converts them
/// into its own currency at a fixed block ratio.
public enum PartnerKind: String, Sendable, Hashable, CaseIterable {
    case merchant, catalogue, exchange
}

/// An exchange partner's ratio: every `blockPoints` points convert to `milesPerBlock` of
/// its `unit`; a conversion is a whole number of blocks, at least one.
public struct ExchangeTerms: Sendable, Hashable {
    public var blockPoints: Int64
    public var milesPerBlock: Int64
    /// What the partner calls its currency ("miles", "nights"): a label for people.
    public var unit: String

    public init(blockPoints: Int64, milesPerBlock: Int64, unit: String = ExchangeTerms.defaultUnit) {
        self.blockPoints = blockPoints
        self.milesPerBlock = milesPerBlock
        self.unit = unit
    }

    public static let defaultUnit = "miles"

    /// What `points` convert to: nil unless they are a whole number ≥ 1 of blocks (or the
    /// product overflows, which the checks' ranges rule out).
    public func miles(forPoints points: Int64) -> Int64? {
        guard blockPoints > 0, points >= blockPoints, points % blockPoints == 0 else { return nil }
        let (miles, overflow) = (points / blockPoints).multipliedReportingOverflow(by: milesPerBlock)
        return overflow ? nil : miles
    }
}

extension ProgrammeFile {
    /// A partner's `exchange` section.
    struct ExchangeFile: Decodable {
        var blockPoints: Int64?
        var milesPerBlock: Int64?
        var unit: String?

        enum CodingKeys: String, CodingKey {
            case unit
            case blockPoints = "block_points"
            case milesPerBlock = "miles_per_block"
        }
    }
}

extension Programme {
    /// Miles one block may give: with at most 10^12 points (so 10^12 blocks) a conversion
    /// credits at most 10^18 miles, inside Int64.
    public static let milesPerBlockRange: ClosedRange<Int64> = 1...1_000_000
    /// Unit labels: 1 to 16 lowercase letters or `_`.
    static func isUnitLabel(_ unit: String) -> Bool {
        let bytes = Array(unit.utf8)
        return (1...16).contains(bytes.count) && bytes.allSatisfy { (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// A partner's `kind` and `exchange` fields (`kind` defaults to merchant). The section
    /// is decoded whatever the kind, so that `checkKind` can name it when it does not belong.
    static func decodeKind(
        _ file: ProgrammeFile.PartnerFile, base: String, problems: inout [(field: String, reason: String)]
    ) -> (
        PartnerKind, ExchangeTerms?
    ) {
        var kind = PartnerKind.merchant
        if let name = file.kind {
            if let known = PartnerKind(rawValue: name) {
                kind = known
            } else {
                problems.append(("\(base).kind", "must be \"merchant\", \"catalogue\" or \"exchange\", got \(FieldLimits.quoted(name))"))
            }
        }
        guard let section = file.exchange else { return (kind, nil) }
        if section.blockPoints == nil { problems.append(("\(base).exchange.block_points", "is missing")) }
        if section.milesPerBlock == nil { problems.append(("\(base).exchange.miles_per_block", "is missing")) }
        let terms = ExchangeTerms(
            blockPoints: section.blockPoints ?? 1, milesPerBlock: section.milesPerBlock ?? 1, unit: section.unit ?? ExchangeTerms.defaultUnit)
        return (kind, terms)
    }

    /// The exchange section belongs to exchange partners only, and every exchange partner
    /// needs one with sane numbers.
    func checkKind(_ partner: Partner, base: String, _ report: (String, String) -> Void) {
        switch (partner.kind, partner.exchange) {
        case (.exchange, nil):
            report("\(base).exchange", "is missing: an exchange partner needs its block_points and miles_per_block")
        case (.merchant, .some), (.catalogue, .some):
            report("\(base).exchange", "is only for a partner of kind \"exchange\" (this one is \"\(partner.kind.rawValue)\")")
        default: break
        }
        guard let terms = partner.exchange else { return }
        if !FieldLimits.amountRange.contains(terms.blockPoints) {
            report("\(base).exchange.block_points", "must be in 1...10^12, got \(terms.blockPoints)")
        } else if terms.blockPoints < partner.redemption.minPoints {
            report(
                "\(base).exchange.block_points",
                "\(terms.blockPoints) is below the partner's redemption.min_points \(partner.redemption.minPoints): the first blocks could never be converted"
            )
        }
        if !Self.milesPerBlockRange.contains(terms.milesPerBlock) {
            report("\(base).exchange.miles_per_block", "must be in 1...1000000, got \(terms.milesPerBlock)")
        }
        if !Self.isUnitLabel(terms.unit) {
            report("\(base).exchange.unit", "must be 1 to 16 lowercase letters or _, got \(FieldLimits.quoted(terms.unit))")
        }
        for (index, reward) in partner.redemption.rewards.enumerated() where terms.miles(forPoints: reward.points) == nil {
            report(
                "\(base).redemption.rewards[\(index)].points",
                "\(reward.points) is not a whole number of the exchange's \(terms.blockPoints)-point blocks: it could never be converted")
        }
    }
}
