/// Statuses (tiers): how members qualify and what each status earns (docs/programme.md,
/// "Statuses").
///
/// A member's status is the highest level whose `qualify` thresholds any one of its
/// counters reaches (spend OR visits OR nights), counted at the partners of `partnerIds`
/// (all partners when empty) over the qualification period: a rolling window of
/// `period` days ending on the event's UTC day, or a calendar month or year (the previous
/// period decides the current one; with `upgradeInPeriod` reaching a threshold within
/// the current period upgrades at once too). The first level is the base status: every
/// member without (enough) activity has it. Nothing is configured while `levels` is empty.
public struct StatusRules: Sendable, Hashable {
    /// The qualification period.
    public enum Period: Sendable, Hashable {
        /// The event's UTC day and the days before it: this many days in all.
        case rollingDays(Int)
        /// UTC calendar months: last month's activity decides this month's status.
        case calendarMonth
        /// UTC calendar years: last year's activity decides this year's status.
        case calendarYear
    }

    /// When a status reached by a transaction applies to what it earns.
    public enum Activation: String, Sendable, Hashable, CaseIterable {
        /// At once: the transaction that qualifies already earns at the new status.
        case immediate
        /// From the next transaction: the one that qualifies earns at the old status.
        case nextVisit = "next_visit"
    }

    /// What a status earns at the partners the statuses count.
    public enum Earn: Sendable, Hashable {
        /// The partner's own rate (×1).
        case partnerRate
        /// The partner's rate times this many basis points (15_000 = ×1.5), rounded down.
        case multiplier(Int64)
        /// Rates replacing the partner's: a default and per category, in basis points.
        case rates(defaultBasisPoints: Int64, categories: [String: Int64])
    }

    /// Any one of these reached qualifies (nil or 0: not a criterion).
    public struct Thresholds: Sendable, Hashable {
        public var spendMinor: Int64?
        public var visits: Int64?
        public var nights: Int64?

        public init(spendMinor: Int64? = nil, visits: Int64? = nil, nights: Int64? = nil) {
            (self.spendMinor, self.visits, self.nights) = (spendMinor, visits, nights)
        }

        /// The criteria given, by their JSON name.
        public var metrics: [(name: String, value: Int64)] {
            [("spend_minor", spendMinor), ("visits", visits), ("nights", nights)].compactMap { name, value in
                value.map { (name, $0) }
            }
        }

        public func isMet(spendMinor spend: Int64, visits v: Int64, nights n: Int64) -> Bool {
            if let spendMinor, spendMinor > 0, spend >= spendMinor { return true }
            if let visits, visits > 0, v >= visits { return true }
            if let nights, nights > 0, n >= nights { return true }
            return false
        }
    }

    public struct Level: Sendable, Hashable {
        public var name: String
        /// nil for the base level (the first).
        public var qualify: Thresholds?
        public var earn: Earn

        public init(name: String, qualify: Thresholds? = nil, earn: Earn = .partnerRate) {
            (self.name, self.qualify, self.earn) = (name, qualify, earn)
        }
    }

    /// Lowest first; the first is the base status. Empty: no statuses.
    public var levels: [Level] = []
    public var period: Period = .rollingDays(365)
    /// The partners whose accruals count and at which the statuses earn; empty = all.
    public var partnerIds: [String] = []
    /// A member without a counted accrual for this many days falls back to the base
    /// status and its counting starts again; nil = never.
    public var downgradeAfterInactiveDays: Int?
    public var activation: Activation = .immediate
    /// Calendar periods only: reaching a threshold within the current period upgrades at
    /// once (and holds through the next period); false: only the previous period counts.
    public var upgradeInPeriod = true

    public init(
        levels: [Level] = [], period: Period = .rollingDays(365), partnerIds: [String] = [], downgradeAfterInactiveDays: Int? = nil,
        activation: Activation = .immediate, upgradeInPeriod: Bool = true
    ) {
        self.levels = levels
        self.period = period
        self.partnerIds = partnerIds
        self.downgradeAfterInactiveDays = downgradeAfterInactiveDays
        self.activation = activation
        self.upgradeInPeriod = upgradeInPeriod
    }

    /// Whether the programme has statuses.
    public var isEnabled: Bool { !levels.isEmpty }

    /// Whether accruals at `partnerId` count for statuses and earn by them.
    public func counts(partnerId: String) -> Bool {
        isEnabled && (partnerIds.isEmpty || partnerIds.contains(partnerId))
    }

    /// The highest level any counter qualifies for (0, the base, when none does).
    public func level(spendMinor: Int64, visits: Int64, nights: Int64) -> Int {
        var reached = 0
        for (index, level) in levels.enumerated() where index > 0 {
            if level.qualify?.isMet(spendMinor: spendMinor, visits: visits, nights: nights) == true { reached = index }
        }
        return reached
    }

    /// The rate `level` earns at `partner` for `category`: the partner's rate for
    /// `.partnerRate`, else the status' rate, never below the operator's floor.
    public func earnBasisPoints(level: Int, partner: Programme.Partner, category: String, floors: Programme.Floors) -> Int64 {
        let base = partner.earnBasisPoints(category: category)
        guard levels.indices.contains(level) else { return base }
        let rate: Int64
        switch levels[level].earn {
        case .partnerRate: return base
        case .multiplier(let bp): rate = base * bp / Programme.basisPointsPerUnit
        case .rates(let defaultBasisPoints, let categories): rate = categories[category] ?? defaultBasisPoints
        }
        return max(rate, floors.floor(category: category))
    }

    /// The key of the counting bucket `milliseconds` falls in: the UTC day for a rolling
    /// window, the month (year × 12 + month − 1) or the year for calendar periods.
    public func bucketKey(milliseconds: Int64) -> Int64 {
        let day = CivilTime.floorDivide(milliseconds, CivilTime.millisecondsPerDay).0
        switch period {
        case .rollingDays: return day
        case .calendarMonth:
            let date = CivilTime.civil(days: day)
            return date.year * 12 + date.month - 1
        case .calendarYear: return CivilTime.civil(days: day).year
        }
    }

    /// What a bucket key counts: "day", "month" or "year". A member's counters kept in
    /// another unit (the programme's period changed) no longer count.
    public var bucketUnit: String {
        switch period {
        case .rollingDays: "day"
        case .calendarMonth: "month"
        case .calendarYear: "year"
        }
    }

    /// The smallest bucket key still counting when `latestKey` is the newest one: the
    /// window's first day, or the previous calendar period.
    public func oldestCountedKey(latestKey: Int64) -> Int64 {
        switch period {
        case .rollingDays(let days): return latestKey - Int64(days) + 1
        case .calendarMonth, .calendarYear: return latestKey - 1
        }
    }

    /// The base status' name; "" without statuses.
    public var baseName: String { levels.first?.name ?? "" }

    /// Most levels in a programme.
    public static let maxLevels = 20
    /// Days of a rolling window: up to 10 years.
    public static let windowDaysRange: ClosedRange<Int> = 1...3_660
    /// Multipliers: ×1 to ×10.
    public static let multiplierRange: ClosedRange<Int64> = 10_000...100_000
    /// Bytes of a status name.
    public static let maxNameBytes = 64
}

extension ProgrammeFile {
    /// The file's `statuses` section.
    struct StatusesFile: Decodable {
        var windowDays: Int?
        var calendar: String?
        var upgradeInPeriod: Bool?
        var partners: [String]?
        var downgradeAfterInactiveDays: Int?
        var activation: String?
        var levels: [LevelFile]?

        enum CodingKeys: String, CodingKey {
            case calendar, partners, activation, levels
            case windowDays = "window_days"
            case upgradeInPeriod = "upgrade_in_period"
            case downgradeAfterInactiveDays = "downgrade_after_inactive_days"
        }
    }

    struct StatusLevelQualifyFile: Decodable {
        var spendMinor: Int64?
        var visits: Int64?
        var nights: Int64?

        enum CodingKeys: String, CodingKey {
            case visits, nights
            case spendMinor = "spend_minor"
        }
    }

    struct LevelFile: Decodable {
        var name: String?
        var qualify: StatusLevelQualifyFile?
        var earnMultiplierBasisPoints: Int64?
        var earn: EarnFile?

        enum CodingKeys: String, CodingKey {
            case name, qualify
            case earnMultiplierBasisPoints = "earn_multiplier_bp"
            case earn = "earn_bp"
        }
    }
}

extension Programme {
    static func decodeStatuses(
        _ file: ProgrammeFile.StatusesFile?, problems: inout [(field: String, reason: String)]
    ) -> StatusRules {
        guard let file else { return StatusRules() }
        var rules = StatusRules()
        switch (file.windowDays, file.calendar) {
        case (let days?, nil): rules.period = .rollingDays(days)
        case (nil, "month"): rules.period = .calendarMonth
        case (nil, "year"): rules.period = .calendarYear
        case (nil, let other?): problems.append(("statuses.calendar", "must be \"month\" or \"year\", got \"\(other)\""))
        case (nil, nil): problems.append(("statuses", "needs a qualification period: window_days (rolling) or calendar (\"month\" or \"year\")"))
        case (.some, .some): problems.append(("statuses.window_days", "is given together with statuses.calendar; choose one qualification period"))
        }
        if let upgrade = file.upgradeInPeriod {
            rules.upgradeInPeriod = upgrade
            if file.calendar == nil {
                problems.append(("statuses.upgrade_in_period", "applies to calendar periods only; a rolling window always upgrades at once"))
            }
        }
        rules.partnerIds = file.partners ?? []
        rules.downgradeAfterInactiveDays = file.downgradeAfterInactiveDays
        if let activation = file.activation {
            if let value = StatusRules.Activation(rawValue: activation) {
                rules.activation = value
            } else {
                problems.append(("statuses.activation", "must be \"immediate\" or \"next_visit\", got \"\(activation)\""))
            }
        }
        guard let levels = file.levels, !levels.isEmpty else {
            problems.append(("statuses.levels", "is missing or empty; it needs at least the base status"))
            return rules
        }
        for (index, level) in levels.enumerated() {
            let base = "statuses.levels[\(index)]"
            if level.name == nil { problems.append(("\(base).name", "is missing")) }
            let qualify = level.qualify.map { StatusRules.Thresholds(spendMinor: $0.spendMinor, visits: $0.visits, nights: $0.nights) }
            var earn = StatusRules.Earn.partnerRate
            switch (level.earnMultiplierBasisPoints, level.earn) {
            case (let bp?, nil): earn = .multiplier(bp)
            case (nil, let rates?):
                if let defaultBasisPoints = rates.defaultBasisPoints {
                    earn = .rates(defaultBasisPoints: defaultBasisPoints, categories: rates.categories ?? [:])
                } else {
                    problems.append(("\(base).earn_bp.default", "is missing"))
                }
            case (.some, .some):
                problems.append(("\(base).earn_multiplier_bp", "is given together with earn_bp; a status earns by one of them"))
            case (nil, nil): break
            }
            rules.levels.append(StatusRules.Level(name: level.name ?? "", qualify: qualify, earn: earn))
        }
        return rules
    }

    func checkStatuses(_ report: (String, String) -> Void) {
        let rules = statuses
        guard rules.isEnabled else { return }
        if case .rollingDays(let days) = rules.period, !StatusRules.windowDaysRange.contains(days) {
            report("statuses.window_days", "must be in 1...3660 days, got \(days)")
        }
        if let days = rules.downgradeAfterInactiveDays, !Self.horizonDaysRange.contains(days) {
            report("statuses.downgrade_after_inactive_days", "must be in 1...36500 days, got \(days)")
        }
        var seenPartners: [String: Int] = [:]
        for (index, id) in rules.partnerIds.enumerated() {
            let field = "statuses.partners[\(index)]"
            if partner(id) == nil { report(field, "\"\(id)\" is not a partner of the programme") }
            if let first = seenPartners[id] {
                report(field, "\"\(id)\" is already listed at statuses.partners[\(first)]")
            } else {
                seenPartners[id] = index
            }
        }
        if rules.levels.count > StatusRules.maxLevels {
            report("statuses.levels", "has \(rules.levels.count) statuses, at most \(StatusRules.maxLevels) are allowed")
        }
        var seenNames: [String: Int] = [:]
        // The highest threshold so far per metric, with the level that set it.
        var highest: [String: (value: Int64, level: Int)] = [:]
        for (index, level) in rules.levels.enumerated() {
            let base = "statuses.levels[\(index)]"
            checkStatusName(level.name, field: "\(base).name", report)
            if let first = seenNames[level.name] {
                report("\(base).name", "\"\(level.name)\" is already the name of statuses.levels[\(first)]")
            } else {
                seenNames[level.name] = index
            }
            checkStatusThresholds(level, index: index, base: base, highest: &highest, report)
            checkStatusEarn(level.earn, base: base, report)
        }
    }

    private func checkStatusName(_ name: String, field: String, _ report: (String, String) -> Void) {
        let bytes = Array(name.utf8)
        if bytes.isEmpty {
            report(field, "must not be empty")
        } else if bytes.count > StatusRules.maxNameBytes {
            report(field, "is longer than \(StatusRules.maxNameBytes) bytes (\(bytes.count))")
        } else if !bytes.allSatisfy(FieldLimits.isCategoryByte) {
            report(field, "must be printable ASCII (letters, digits, spaces, punctuation)")
        }
    }

    private func checkStatusThresholds(
        _ level: StatusRules.Level, index: Int, base: String, highest: inout [String: (value: Int64, level: Int)],
        _ report: (String, String) -> Void
    ) {
        guard index > 0 else {
            if level.qualify != nil {
                report("\(base).qualify", "must not be given: the first status is the base every member starts with")
            }
            return
        }
        guard let qualify = level.qualify, !qualify.metrics.isEmpty else {
            report("\(base).qualify", "is missing; give at least one of spend_minor, visits, nights")
            return
        }
        for metric in qualify.metrics {
            let field = "\(base).qualify.\(metric.name)"
            guard FieldLimits.amountRange.contains(metric.value) else {
                report(field, "must be in 1...10^12, got \(metric.value)")
                continue
            }
            if let below = highest[metric.name], metric.value <= below.value {
                report(
                    field,
                    "\(metric.value) does not exceed statuses.levels[\(below.level)].qualify.\(metric.name) (\(below.value)): thresholds must increase from status to status"
                )
            } else {
                highest[metric.name] = (metric.value, index)
            }
        }
    }

    private func checkStatusEarn(_ earn: StatusRules.Earn, base: String, _ report: (String, String) -> Void) {
        switch earn {
        case .partnerRate: break
        case .multiplier(let bp):
            if !StatusRules.multiplierRange.contains(bp) {
                report("\(base).earn_multiplier_bp", "must be in 10000...100000 bp (×1 to ×10), got \(bp)")
            }
        case .rates(let defaultBasisPoints, let categories):
            let field = "\(base).earn_bp.default"
            if !(0...Self.maxBasisPoints).contains(defaultBasisPoints) {
                report(field, "must be in 0...10000 bp, got \(defaultBasisPoints)")
            } else if defaultBasisPoints < floors.defaultBasisPoints {
                report(field, "\(defaultBasisPoints) bp is below the operator's default floor of \(floors.defaultBasisPoints) bp")
            }
            for (category, bp) in categories.sorted(by: { $0.key < $1.key }) {
                let field = "\(base).earn_bp.categories.\(category)"
                if category.isEmpty {
                    report("\(base).earn_bp.categories", "has an empty category key; the default rate is set by `default`")
                } else if !(0...Self.maxBasisPoints).contains(bp) {
                    report(field, "must be in 0...10000 bp, got \(bp)")
                } else if bp < floors.floor(category: category) {
                    report(field, "\(bp) bp is below the operator floor of \(floors.floor(category: category)) bp for category \"\(category)\"")
                }
            }
        }
    }
}
