import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The JSON shape of a programme file (snake_case keys). Every field is optional here so
/// that a missing field is reported with the other problems instead of stopping at the
/// first one.
/// How a `RatesFile` spells its default rate.
protocol RateDefaultKey { static var name: String { get } }

struct ProgrammeFile: Decodable {
    var version: String?
    var currency: String?
    var currencyExponent: Int?
    var pointValueMinor: Int64?
    var expiryMonths: Int?
    var maxCardsPerAccount: Int?
    var idempotencyHorizonDays: Int?
    var reversalWindowDays: Int?
    var archiveCycleSummaries: Bool?
    var operatorAccount: ParticipantFile?
    var floors: FloorsFile?
    var partners: [PartnerFile]?
    var statuses: StatusesFile?
    var expiry: ExpiryFile?
    var promotions: [PromotionFile]?
    var claimWindowDays: Int?
    var companies: [CompanyFile]?

    enum CodingKeys: String, CodingKey {
        case version, currency, floors, partners, statuses, expiry, promotions
        case claimWindowDays = "claim_window_days"
        case companies
        case currencyExponent = "currency_exponent"
        case pointValueMinor = "point_value_minor"
        case expiryMonths = "expiry_months"
        case maxCardsPerAccount = "max_cards_per_account"
        case idempotencyHorizonDays = "idempotency_horizon_days"
        case reversalWindowDays = "reversal_window_days"
        case archiveCycleSummaries = "archive_cycle_summaries"
        case operatorAccount = "operator"
    }

    struct ParticipantFile: Decodable {
        var id: String?
        var name: String?
        var iban: String?
        var bic: String?
    }

    /// A default rate and per-category rates in basis points. The two places that hold one
    /// spell the default differently: `floors.default_bp`, a partner's `earn_bp.default`.
    struct RatesFile<DefaultKey: RateDefaultKey>: Decodable {
        var defaultBasisPoints: Int64?
        var categories: [String: Int64]?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: RateKey.self)
            defaultBasisPoints = try container.decodeIfPresent(Int64.self, forKey: RateKey(stringValue: DefaultKey.name))
            categories = try container.decodeIfPresent([String: Int64].self, forKey: RateKey(stringValue: "categories"))
        }
    }

    typealias FloorsFile = RatesFile<FloorsDefault>
    typealias EarnFile = RatesFile<EarnDefault>

    enum FloorsDefault: RateDefaultKey { static let name = "default_bp" }
    enum EarnDefault: RateDefaultKey { static let name = "default" }

    struct RateKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct PartnerFile: Decodable {
        var id: String?
        var name: String?
        var earn: EarnFile?
        var operatorFeeBasisPoints: Int64?
        var iban: String?
        var bic: String?
        var pendingDays: Int?
        var redemption: RedemptionFile?
        var fundingModel: String?
        var fees: FeesFile?
        var deposit: DepositFile?
        var exposureCapMinor: Int64?
        var kind: String?
        var exchange: ExchangeFile?

        enum CodingKeys: String, CodingKey {
            case id, name, iban, bic, redemption
            case fees
            case fundingModel = "funding_model"
            case kind, exchange
            case pendingDays = "pending_days"
            case deposit
            case exposureCapMinor = "exposure_cap_minor"
            case earn = "earn_bp"
            case operatorFeeBasisPoints = "operator_fee_bp"
        }
    }
}

extension Programme {
    /// Reads and validates a programme file.
    public static func load(path: String) throws(ProgrammeError) -> Programme {
        try decode(jsonData: try readFile(path))
    }

    /// The most bytes of a programme file: a partner takes about 400, so this holds a
    /// coalition of 16,000 participants (the settlement verifier's sizing) with room.
    public static let maxFileBytes = 8 << 20

    /// Reads a regular file of at most `maxFileBytes`, without blocking (`RegularFile`): a
    /// FIFO or device given by mistake fails at once instead of hanging or filling memory.
    private static func readFile(_ path: String) throws(ProgrammeError) -> Data {
        do throws(RegularFile.Refusal) {
            guard let bytes = try RegularFile.read(path, maxBytes: Int64(maxFileBytes), followingLinks: true) else {
                throw RegularFile.Refusal.system(operation: "open", errno: ENOENT)
            }
            return Data(bytes)
        } catch {
            throw ProgrammeError(field: path, reason: "cannot read the programme file: \(error)")
        }
    }

    /// Decodes and validates a programme from JSON (snake_case keys).
    public static func decode(jsonData: Data) throws(ProgrammeError) -> Programme {
        let file: ProgrammeFile
        do {
            file = try JSONDecoder().decode(ProgrammeFile.self, from: jsonData)
        } catch let error as DecodingError {
            throw ProgrammeError(field: Self.path(of: error), reason: Self.reason(of: error))
        } catch {
            throw ProgrammeError(field: "$", reason: "not a JSON programme: \(error)")
        }
        var problems: [(field: String, reason: String)] = UnknownKeys.find(ProgrammeFile.self, in: jsonData).map {
            ($0, "is not a field of a programme file (misspelt? see docs/programme.md)")
        }
        func need<T>(_ value: T?, _ field: String) -> T? {
            if value == nil { problems.append((field, "is missing")) }
            return value
        }
        let op = need(file.operatorAccount, "operator")
        let floors = need(file.floors, "floors")
        let partnerFiles = need(file.partners, "partners") ?? []
        var partners: [Partner] = []
        for (index, p) in partnerFiles.enumerated() {
            let base = "partners[\(index)]"
            let earn = need(p.earn, "\(base).earn_bp")
            partners.append(
                Partner(
                    id: need(p.id, "\(base).id") ?? "",
                    name: need(p.name, "\(base).name") ?? "",
                    earnDefaultBasisPoints: earn.flatMap { need($0.defaultBasisPoints, "\(base).earn_bp.default") } ?? 0,
                    earnCategoryBasisPoints: earn?.categories ?? [:],
                    operatorFeeBasisPoints: need(p.operatorFeeBasisPoints, "\(base).operator_fee_bp") ?? 0,
                    iban: need(p.iban, "\(base).iban") ?? "",
                    bic: need(p.bic, "\(base).bic") ?? ""))
        }
        let programme = Programme(
            version: need(file.version, "version") ?? "",
            currency: need(file.currency, "currency") ?? "",
            currencyExponent: need(file.currencyExponent, "currency_exponent") ?? 0,
            pointValueMinor: need(file.pointValueMinor, "point_value_minor") ?? 1,
            // An `expiry` section says how points expire; expiry_months is then optional.
            expiryMonths: file.expiry != nil ? (file.expiryMonths ?? 0) : need(file.expiryMonths, "expiry_months") ?? 0,
            maxCardsPerAccount: need(file.maxCardsPerAccount, "max_cards_per_account") ?? 1,
            operatorAccount: Participant(
                id: op.flatMap { need($0.id, "operator.id") } ?? "",
                name: op.flatMap { need($0.name, "operator.name") } ?? "",
                iban: op.flatMap { need($0.iban, "operator.iban") } ?? "",
                bic: op.flatMap { need($0.bic, "operator.bic") } ?? ""),
            floors: Floors(
                defaultBasisPoints: floors.flatMap { need($0.defaultBasisPoints, "floors.default_bp") } ?? 0,
                categories: floors?.categories ?? [:]),
            partners: [], idempotencyHorizonDays: file.idempotencyHorizonDays, reversalWindowDays: file.reversalWindowDays)
        Self.decodePartnerRules(partnerFiles, into: &partners, problems: &problems)
        var complete = programme
        complete.replacePartners(partners)
        complete.decodeRules(file, problems: &problems)
        // Problems are reported against the file's partner order, so validate before sorting.
        problems += complete.validationProblems(partnersInFileOrder: partners)
        guard problems.isEmpty else { throw ProgrammeError(problems: problems) }
        return complete
    }

    private static func path(of error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        case .keyNotFound(let key, let c):
            return fieldPath(c.codingPath + [key])
        @unknown default: return "$"
        }
        return fieldPath(context.codingPath)
    }

    private static func reason(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): return "has the wrong type, expected \(type)"
        case .valueNotFound(let type, _): return "is null, expected \(type)"
        case .keyNotFound: return "is missing"
        case .dataCorrupted(let c): return "is not valid JSON: \(c.debugDescription)"
        @unknown default: return "cannot be decoded"
        }
    }

    private static func fieldPath(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? "$" : path
    }
}
