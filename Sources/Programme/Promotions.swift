/// Promotions (docs/programme.md, "Promotions"): time-boxed bonuses on accruals, each paid
/// for by its funder — a partner or the operator. Bonus points form lots of their own
/// whose issuer is the funder, so a redemption of them is a debt of the funder like any
/// lot's, and the funder's statistics count them as `issued` and `promoted`.
///
/// A promotion applies to an accrual when its event time is in [`from`, `until`), its
/// partner, category and product are among those listed (an empty list: any), and its
/// amount is at least `min_spend_minor`. Retro-claims are priced by the promotions of
/// their event time.
public struct Promotion: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The accrual's points times `multiplierBasisPoints` (20_000 = double): the funder
        /// pays the points above the partner's own.
        case multiplier
        /// `bonusPoints` more on each matching accrual (1,000 bonus points on a laptop).
        case bonus
        /// Every `every`-th matching purchase of a member earns `bonusPoints` (0: the
        /// purchase's worth in points, i.e. that purchase "free"); a counter per member.
        case stampCard = "stamp_card"
        /// No points at all for matching accruals (a sale); nobody funds anything.
        case exclusion
        /// `bonusPoints` on the member's first accrual.
        case welcome
        /// A member's first accrual carrying a referral code (the referrer's member id)
        /// earns `bonusPoints`; the referrer's `referrerPoints` are credited on its own
        /// partition (docs/programme.md, "Referrals").
        case referral
    }

    public var id: String
    public var kind: Kind
    /// The partner id or the operator's id that pays for the bonus points ("" for an
    /// exclusion, which costs nobody anything).
    public var funder: String
    /// Event times, inclusive.
    public var fromMilliseconds: Int64 = .min
    /// Event times, exclusive.
    public var untilMilliseconds: Int64 = .max
    /// Partners, categories and products it applies to; empty = any.
    public var partnerIds: [String] = []
    public var categories: [String] = []
    public var products: [String] = []
    /// The smallest accrual amount it applies to; 0 = any.
    public var minSpendMinor: Int64 = 0
    /// `multiplier`: 10_001…100_000 bp of the accrual's points.
    public var multiplierBasisPoints: Int64 = 0
    /// `bonus`, `welcome`, `referral` (the new member's): points; `stamp_card`: points, or
    /// 0 for the purchase's worth.
    public var bonusPoints: Int64 = 0
    /// `stamp_card`: every this many matching purchases.
    public var every: Int64 = 0
    /// `referral`: the referrer's points.
    public var referrerPoints: Int64 = 0

    public init(id: String, kind: Kind, funder: String) {
        (self.id, self.kind, self.funder) = (id, kind, funder)
    }

    /// Whether it is running at `eventTimeMilliseconds`.
    public func isActive(at eventTimeMilliseconds: Int64) -> Bool {
        fromMilliseconds <= eventTimeMilliseconds && eventTimeMilliseconds < untilMilliseconds
    }

    /// Whether an accrual of `amountMinor` at `partnerId` in `category` of `product`, at
    /// `eventTimeMilliseconds`, gets it.
    public func applies(partnerId: String, category: String, product: String, amountMinor: Int64, at eventTimeMilliseconds: Int64) -> Bool {
        isActive(at: eventTimeMilliseconds) && amountMinor >= minSpendMinor
            && (partnerIds.isEmpty || partnerIds.contains(partnerId))
            && (categories.isEmpty || categories.contains(category))
            && (products.isEmpty || products.contains(product))
    }
}

extension ProgrammeFile {
    /// One entry of the file's `promotions`.
    struct PromotionFile: Decodable {
        var id: String?
        var kind: String?
        var funder: String?
        var from: TimeFile?
        var until: TimeFile?
        var partners: [String]?
        var categories: [String]?
        var products: [String]?
        var minSpendMinor: Int64?
        var multiplierBasisPoints: Int64?
        var bonusPoints: Int64?
        var every: Int64?
        var referrerPoints: Int64?

        enum CodingKeys: String, CodingKey {
            case id, kind, funder, from, until, partners, categories, products, every
            case minSpendMinor = "min_spend_minor"
            case multiplierBasisPoints = "multiplier_bp"
            case bonusPoints = "bonus_points"
            case referrerPoints = "referrer_points"
        }
    }

    /// An instant: UTC milliseconds since the epoch, or an ISO 8601 UTC text
    /// (`2026-03-01`, `2026-03-01T06:00Z`, `2026-03-01T06:00:00.000Z`).
    enum TimeFile: Decodable {
        case milliseconds(Int64)
        case text(String)

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let milliseconds = try? c.decode(Int64.self) {
                self = .milliseconds(milliseconds)
            } else {
                self = .text(try c.decode(String.self))
            }
        }
    }
}

extension Programme {
    /// Most promotions a programme may run (each accrual looks at every one).
    public static let maxPromotions = 1_000
    /// `multiplier_bp`: more than ×1, at most ×10.
    public static let promotionMultiplierRange: ClosedRange<Int64> = 10_001...100_000
    /// `every` of a stamp card.
    public static let stampCardEveryRange: ClosedRange<Int64> = 2...1_000

    /// Whether any promotion is configured: the accrual rule looks no further otherwise.
    public var hasPromotions: Bool { !promotions.isEmpty }

    /// Whether a member's first accrual matters (a welcome or referral promotion).
    public var hasFirstAccrualPromotions: Bool {
        promotions.contains { $0.kind == .welcome || $0.kind == .referral }
    }

    static func decodePromotions(
        _ files: [ProgrammeFile.PromotionFile]?, problems: inout [(field: String, reason: String)]
    ) -> [Promotion] {
        var promotions: [Promotion] = []
        for (index, file) in (files ?? []).enumerated() {
            let base = "promotions[\(index)]"
            func need<T>(_ value: T?, _ field: String) -> T? {
                if value == nil { problems.append(("\(base).\(field)", "is missing")) }
                return value
            }
            let kindName = need(file.kind, "kind") ?? ""
            let kind = Promotion.Kind(rawValue: kindName)
            if kind == nil && file.kind != nil {
                let names = Promotion.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append(("\(base).kind", "\"\(kindName)\" is not a kind of promotion (\(names))"))
            }
            var promotion = Promotion(id: need(file.id, "id") ?? "", kind: kind ?? .bonus, funder: file.funder ?? "")
            if file.funder == nil && kind != .exclusion {
                problems.append(("\(base).funder", "is missing: name the partner or the operator that pays for its points"))
            }
            if let from = file.from { promotion.fromMilliseconds = time(from, field: "\(base).from", problems: &problems) ?? .min }
            if let until = file.until { promotion.untilMilliseconds = time(until, field: "\(base).until", problems: &problems) ?? .max }
            promotion.partnerIds = file.partners ?? []
            promotion.categories = file.categories ?? []
            promotion.products = file.products ?? []
            promotion.minSpendMinor = file.minSpendMinor ?? 0
            promotion.multiplierBasisPoints = file.multiplierBasisPoints ?? 0
            promotion.bonusPoints = file.bonusPoints ?? 0
            promotion.every = file.every ?? 0
            promotion.referrerPoints = file.referrerPoints ?? 0
            switch kind {
            case .multiplier?: _ = need(file.multiplierBasisPoints, "multiplier_bp")
            case .bonus?, .welcome?, .referral?: _ = need(file.bonusPoints, "bonus_points")
            case .stampCard?: _ = need(file.every, "every")
            case .exclusion?, nil: break
            }
            promotions.append(promotion)
        }
        return promotions
    }

    /// An instant of the file as UTC milliseconds; nil (and a problem) when unreadable.
    static func time(_ value: ProgrammeFile.TimeFile, field: String, problems: inout [(field: String, reason: String)]) -> Int64? {
        switch value {
        case .milliseconds(let milliseconds): return milliseconds
        case .text(let text):
            if let milliseconds = isoMilliseconds(text) { return milliseconds }
            problems.append((field, "\"\(text)\" is not a UTC time: write 2026-03-01, 2026-03-01T06:00Z or milliseconds since 1970"))
            return nil
        }
    }

    /// `YYYY-MM-DD`, optionally `Thh:mm`, `:ss`, `.SSS`, then `Z`; nil otherwise.
    static func isoMilliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count, !range.isEmpty else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            (1...12).contains(month), (1...CivilTime.lastDay(year: year, month: month)).contains(day)
        else { return nil }
        var milliseconds = CivilTime.days(year: year, month: month, day: day) * CivilTime.millisecondsPerDay
        guard bytes.count > 10 else { return milliseconds }
        guard bytes[10] == UInt8(ascii: "T"), bytes.count >= 17, bytes[13] == UInt8(ascii: ":"), bytes.last == UInt8(ascii: "Z"),
            let hour = number(11..<13), let minute = number(14..<16), hour < 24, minute < 60
        else { return nil }
        milliseconds += (hour * 60 + minute) * 60_000
        var position = 16
        if bytes[position] == UInt8(ascii: ":") {
            guard let second = number(position + 1..<position + 3), second < 60 else { return nil }
            milliseconds += second * 1000
            position += 3
        }
        if bytes[position] == UInt8(ascii: ".") {
            guard let fraction = number(position + 1..<position + 4) else { return nil }
            milliseconds += fraction
            position += 4
        }
        return position == bytes.count - 1 ? milliseconds : nil
    }

    func checkPromotions(_ report: (String, String) -> Void) {
        if promotions.count > Self.maxPromotions {
            report("promotions", "lists \(promotions.count) promotions, more than \(Self.maxPromotions)")
        }
        var seen: [String: Int] = [:]
        for (index, promotion) in promotions.enumerated() {
            let base = "promotions[\(index)]"
            if !Self.isIdentifier(promotion.id) {
                report("\(base).id", "\"\(promotion.id)\" must match [a-z0-9][a-z0-9_-]{0,31}")
            } else if let first = seen[promotion.id] {
                report("\(base).id", "\"\(promotion.id)\" is already used by promotions[\(first)]")
            } else {
                seen[promotion.id] = index
            }
            checkFunder(promotion, base: base, report)
            if promotion.fromMilliseconds >= promotion.untilMilliseconds {
                report(
                    "\(base).until",
                    "\(promotion.untilMilliseconds) must be after from \(promotion.fromMilliseconds) (until is exclusive)")
            }
            for (position, id) in promotion.partnerIds.enumerated() where partner(id) == nil {
                report("\(base).partners[\(position)]", "\"\(id)\" is not a partner of the programme")
            }
            for (field, names) in [("categories", promotion.categories), ("products", promotion.products)] {
                for (position, name) in names.enumerated() {
                    do { try FieldLimits.checkCategory(name, field: "\(base).\(field)[\(position)]") } catch {
                        report(error.field, error.reason)
                    }
                    if name.isEmpty { report("\(base).\(field)[\(position)]", "must not be empty") }
                }
            }
            if !(0...FieldLimits.maxAmount).contains(promotion.minSpendMinor) {
                report("\(base).min_spend_minor", "must be in 0...10^12, got \(promotion.minSpendMinor)")
            }
            checkAmounts(promotion, base: base, report)
        }
    }

    private func checkFunder(_ promotion: Promotion, base: String, _ report: (String, String) -> Void) {
        if promotion.kind == .exclusion {
            if !promotion.funder.isEmpty {
                report("\(base).funder", "an exclusion gives no points, so nobody funds it: leave funder out")
            }
        } else if !promotion.funder.isEmpty && promotion.funder != operatorId && partner(promotion.funder) == nil {
            report("\(base).funder", "\"\(promotion.funder)\" is neither a partner nor the operator (\"\(operatorId)\")")
        }
    }

    private func checkAmounts(_ promotion: Promotion, base: String, _ report: (String, String) -> Void) {
        let points = FieldLimits.amountRange
        switch promotion.kind {
        case .multiplier:
            if !Self.promotionMultiplierRange.contains(promotion.multiplierBasisPoints) {
                report(
                    "\(base).multiplier_bp",
                    "must be in 10001...100000 bp (20000 = double points), got \(promotion.multiplierBasisPoints)")
            }
        case .bonus, .welcome, .referral:
            if !points.contains(promotion.bonusPoints) {
                report("\(base).bonus_points", "must be in 1...10^12, got \(promotion.bonusPoints)")
            }
        case .stampCard:
            if !Self.stampCardEveryRange.contains(promotion.every) {
                report("\(base).every", "must be in 2...1000 purchases, got \(promotion.every)")
            }
            if promotion.bonusPoints != 0 && !points.contains(promotion.bonusPoints) {
                report("\(base).bonus_points", "must be in 1...10^12 (leave it out for the purchase's worth), got \(promotion.bonusPoints)")
            }
        case .exclusion: break
        }
        if promotion.kind == .referral, !(0...FieldLimits.maxAmount).contains(promotion.referrerPoints) {
            report("\(base).referrer_points", "must be in 0...10^12, got \(promotion.referrerPoints)")
        }
        let unused: [(String, Bool)] = [
            ("multiplier_bp", promotion.kind != .multiplier && promotion.multiplierBasisPoints != 0),
            ("every", promotion.kind != .stampCard && promotion.every != 0),
            ("referrer_points", promotion.kind != .referral && promotion.referrerPoints != 0),
            ("bonus_points", promotion.kind == .multiplier || promotion.kind == .exclusion ? promotion.bonusPoints != 0 : false),
        ]
        for (field, set) in unused where set {
            report("\(base).\(field)", "is not used by a \(promotion.kind.rawValue) promotion")
        }
    }
}
