/// Company accounts (docs/programme.md, "Company accounts"): a company's own account (a
/// member of the ledger, keyed by `account_member_id`) earns on its employees' purchases at
/// the company's partners, and only its authorised users may spend it.
///
/// An accrual naming the company (`company_id`) is applied twice, each half by the shard of
/// its member: the employee's (the partner's transaction id) and the company account's (the
/// gateway derives it: the same transaction id + `Company.accountTxnSuffix`). Each half earns
/// on its part of the amount, so the points and fee are charged once in all (split, each
/// half rounded down).
public struct Company: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The company's own account: a member id of its own partition.
    public var accountMemberId: String
    /// Where its employees' purchases credit it (partner ids).
    public var partnerIds: [String]
    public var mode: Mode
    /// `share` mode: the company's share of each purchase, in basis points (1...10000).
    public var shareBasisPoints: Int64
    public var employees: Set<String>
    /// Who may spend the company account (a redemption's `authorised_user`).
    public var authorisedUsers: Set<String>

    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// The company earns `share_bp` of each purchase, the employee the rest.
        case share
        /// The company earns on the whole booking (a group stay booked by an employee);
        /// the booker earns nothing on it.
        case wholeBooking = "whole_booking"
    }

    public init(
        id: String, name: String, accountMemberId: String, partnerIds: [String], mode: Mode = .share, shareBasisPoints: Int64 = 0,
        employees: Set<String> = [], authorisedUsers: Set<String> = []
    ) {
        self.id = id
        self.name = name
        self.accountMemberId = accountMemberId
        self.partnerIds = partnerIds
        self.mode = mode
        self.shareBasisPoints = shareBasisPoints
        self.employees = employees
        self.authorisedUsers = authorisedUsers
    }

    /// What the gateway appends to a company accrual's `partner_txn_id` for the company
    /// account's half (a fixed suffix: a retried request derives the same key).
    public static let accountTxnSuffix = "#company"

    /// The company account's part of a purchase of `amountMinor` (the employee's is the rest):
    /// all of it for a whole booking, else floor(amount × share_bp / 10000).
    public func accountPartMinor(of amountMinor: Int64) -> Int64 {
        switch mode {
        case .wholeBooking: amountMinor
        case .share: Int64(Int128(amountMinor) * Int128(shareBasisPoints) / Int128(Programme.basisPointsPerUnit))
        }
    }
}

/// The programme's companies, with their lookups.
public struct CompanyAccounts: Sendable, Hashable {
    /// In file order.
    public private(set) var all: [Company] = []
    private var byId: [String: Int] = [:]
    private var byAccount: [String: Int] = [:]

    public init(_ companies: [Company] = []) {
        all = companies
        for (index, company) in companies.enumerated() {
            if byId[company.id] == nil { byId[company.id] = index }
            if byAccount[company.accountMemberId] == nil { byAccount[company.accountMemberId] = index }
        }
    }

    public var isEmpty: Bool { all.isEmpty }
    public func company(id: String) -> Company? { byId[id].map { all[$0] } }
    /// The company whose account `memberId` is.
    public func company(accountMemberId memberId: String) -> Company? { byAccount[memberId].map { all[$0] } }

    public static func == (a: CompanyAccounts, b: CompanyAccounts) -> Bool { a.all == b.all }
    public func hash(into hasher: inout Hasher) { hasher.combine(all) }
}

extension ProgrammeFile {
    /// One entry of `companies`.
    struct CompanyFile: Decodable {
        var id: String?
        var name: String?
        var accountMemberId: String?
        var partners: [String]?
        var shareBasisPoints: Int64?
        var mode: String?
        var employees: [String]?
        var authorisedUsers: [String]?

        enum CodingKeys: String, CodingKey {
            case id, name, partners, mode, employees
            case accountMemberId = "account_member_id"
            case shareBasisPoints = "share_bp"
            case authorisedUsers = "authorised_users"
        }
    }
}

extension Programme {
    /// Most companies a programme may have.
    public static let maxCompanies = 10_000

    static func decodeCompanies(_ files: [ProgrammeFile.CompanyFile]?, problems: inout [(field: String, reason: String)]) -> CompanyAccounts {
        guard let files else { return CompanyAccounts() }
        var companies: [Company] = []
        for (index, file) in files.enumerated() {
            let base = "companies[\(index)]"
            func need<T>(_ value: T?, _ field: String) -> T? {
                if value == nil { problems.append(("\(base).\(field)", "is missing")) }
                return value
            }
            var mode = Company.Mode.share
            if let name = file.mode {
                if let known = Company.Mode(rawValue: name) {
                    mode = known
                } else {
                    problems.append(("\(base).mode", "must be \"share\" or \"whole_booking\", got \(FieldLimits.quoted(name))"))
                }
            }
            if mode == .share, file.shareBasisPoints == nil {
                problems.append(("\(base).share_bp", "is missing: a company in share mode needs its share of each purchase"))
            }
            if mode == .wholeBooking, file.shareBasisPoints != nil {
                problems.append(("\(base).share_bp", "is only for mode \"share\": a whole booking credits the company with all of it"))
            }
            var employees: Set<String> = []
            for (position, employee) in (need(file.employees, "employees") ?? []).enumerated() where !employees.insert(employee).inserted {
                problems.append(("\(base).employees[\(position)]", "\(FieldLimits.quoted(employee)) is listed twice"))
            }
            var users: Set<String> = []
            for (position, user) in (file.authorisedUsers ?? []).enumerated() where !users.insert(user).inserted {
                problems.append(("\(base).authorised_users[\(position)]", "\(FieldLimits.quoted(user)) is listed twice"))
            }
            companies.append(
                Company(
                    id: need(file.id, "id") ?? "", name: need(file.name, "name") ?? "",
                    accountMemberId: need(file.accountMemberId, "account_member_id") ?? "", partnerIds: need(file.partners, "partners") ?? [],
                    mode: mode, shareBasisPoints: file.shareBasisPoints ?? 0, employees: employees, authorisedUsers: users))
        }
        return CompanyAccounts(companies)
    }

    func checkCompanies(_ report: (String, String) -> Void) {
        if companies.all.count > Self.maxCompanies {
            report("companies", "lists \(companies.all.count) companies, more than \(Self.maxCompanies)")
        }
        var ids: [String: Int] = [:]
        var accounts: [String: Int] = [:]
        let employeesAnywhere = Set(companies.all.flatMap(\.employees))
        for (index, company) in companies.all.enumerated() {
            let base = "companies[\(index)]"
            if !Self.isIdentifier(company.id) { report("\(base).id", "\"\(company.id)\" must match [a-z0-9][a-z0-9_-]{0,31}") }
            if let first = ids[company.id] { report("\(base).id", "\"\(company.id)\" is already used by companies[\(first)]") }
            ids[company.id] = ids[company.id] ?? index
            if company.name.isEmpty { report("\(base).name", "must not be empty") }
            let account = company.accountMemberId
            do { try FieldLimits.checkId(account, field: "\(base).account_member_id") } catch { report(error.field, error.reason) }
            if let first = accounts[account] {
                report("\(base).account_member_id", "\(FieldLimits.quoted(account)) is already companies[\(first)]'s account")
            }
            accounts[account] = accounts[account] ?? index
            if employeesAnywhere.contains(account) {
                report("\(base).account_member_id", "\(FieldLimits.quoted(account)) is also listed as an employee: an account cannot earn on itself")
            }
            if company.mode == .share, !(1...Self.maxBasisPoints).contains(company.shareBasisPoints) {
                report("\(base).share_bp", "must be in 1...10000 bp (10000 = all of each purchase), got \(company.shareBasisPoints)")
            }
            if company.partnerIds.isEmpty { report("\(base).partners", "must name at least one partner where its employees earn for it") }
            for (position, id) in company.partnerIds.enumerated() {
                guard let partner = partner(id) else {
                    report("\(base).partners[\(position)]", "\(FieldLimits.quoted(id)) is not a partner of this programme")
                    continue
                }
                if partner.kind != .merchant {
                    report("\(base).partners[\(position)]", "\"\(id)\" is a \(partner.kind.rawValue) partner: it issues no points to share")
                }
            }
            if company.employees.isEmpty { report("\(base).employees", "must list at least one employee (member id)") }
            for employee in company.employees.sorted() {
                do { try FieldLimits.checkId(employee, field: "\(base).employees") } catch {
                    report(error.field, "\(FieldLimits.quoted(employee)) \(error.reason)")
                }
            }
            for user in company.authorisedUsers.sorted() {
                do { try FieldLimits.checkId(user, field: "\(base).authorised_users") } catch {
                    report(error.field, "\(FieldLimits.quoted(user)) \(error.reason)")
                }
            }
        }
    }
}
