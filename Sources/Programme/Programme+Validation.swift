extension Programme {
    public static let maxBasisPoints: Int64 = 10_000
    public static let pointValueRange: ClosedRange<Int64> = 1...1_000_000
    public static let expiryMonthsRange: ClosedRange<Int> = 0...600
    public static let currencyExponentRange: ClosedRange<Int> = 0...4
    /// Days of `idempotency_horizon_days` and `reversal_window_days`: up to 100 years.
    public static let horizonDaysRange: ClosedRange<Int> = 1...36_500

    /// Throws every problem of this programme (partners named in sorted order).
    public func validate() throws(ProgrammeError) {
        let problems = validationProblems(partnersInFileOrder: partners)
        if !problems.isEmpty { throw ProgrammeError(problems: problems) }
    }

    func validationProblems(partnersInFileOrder: [Partner]) -> [(field: String, reason: String)] {
        var problems: [(field: String, reason: String)] = []
        func report(_ field: String, _ reason: String) { problems.append((field, reason)) }

        if version.isEmpty { report("version", "must not be empty") }
        if !Self.isCurrencyCode(currency) {
            report("currency", "must be 3 uppercase letters (ISO 4217), got \"\(currency)\"")
        }
        if !Self.currencyExponentRange.contains(currencyExponent) {
            report("currency_exponent", "must be in 0...4, got \(currencyExponent)")
        }
        if !Self.pointValueRange.contains(pointValueMinor) {
            report("point_value_minor", "must be in 1...1000000, got \(pointValueMinor)")
        }
        if !Self.expiryMonthsRange.contains(expiryMonths) {
            report("expiry_months", "must be in 0...600 (0 = never), got \(expiryMonths)")
        }
        if maxCardsPerAccount < 1 {
            report("max_cards_per_account", "must be at least 1, got \(maxCardsPerAccount)")
        }
        checkHorizons(report)
        checkRules(partnersInFileOrder: partnersInFileOrder, report)

        checkParticipant(
            "operator", id: operatorAccount.id, name: operatorAccount.name,
            iban: operatorAccount.iban, bic: operatorAccount.bic, report)

        checkBasisPoints("floors.default_bp", floors.defaultBasisPoints, report)
        for (category, bp) in floors.categories.sorted(by: { $0.key < $1.key }) {
            checkCategoryKey("floors.categories", category, report)
            checkBasisPoints("floors.categories.\(category)", bp, report)
        }

        var seen: [String: Int] = [:]
        for (index, partner) in partnersInFileOrder.enumerated() {
            let base = "partners[\(index)]"
            checkParticipant(base, id: partner.id, name: partner.name, iban: partner.iban, bic: partner.bic, report)
            if let first = seen[partner.id] {
                report("\(base).id", "\"\(partner.id)\" is already used by partners[\(first)]")
            } else {
                seen[partner.id] = index
            }
            if partner.id == operatorAccount.id {
                report("\(base).id", "\"\(partner.id)\" is the operator's id; a partner needs its own")
            }
            checkBasisPoints("\(base).operator_fee_bp", partner.operatorFeeBasisPoints, report)
            let defaultField = "\(base).earn_bp.default"
            checkBasisPoints(defaultField, partner.earnDefaultBasisPoints, report)
            // Floors bind the partners that issue points: a catalogue or an exchange
            // partner only takes them (PartnerKinds.swift).
            let issues = partner.kind == .merchant
            if issues, partner.earnDefaultBasisPoints < floors.defaultBasisPoints {
                report(
                    defaultField,
                    "\(partner.earnDefaultBasisPoints) bp is below the operator's default floor of \(floors.defaultBasisPoints) bp")
            }
            for (category, bp) in partner.earnCategoryBasisPoints.sorted(by: { $0.key < $1.key }) {
                let field = "\(base).earn_bp.categories.\(category)"
                checkCategoryKey("\(base).earn_bp.categories", category, report)
                checkBasisPoints(field, bp, report)
                let floor = floors.floor(category: category)
                if issues, bp < floor {
                    report(field, "\(bp) bp is below the operator floor of \(floor) bp for category \"\(category)\"")
                }
            }
        }
        return problems
    }

    /// Both or neither: archiving needs both (a key past the horizon may still be reversed
    /// while the window is open, and an original inside the window must stay findable).
    private func checkHorizons(_ report: (String, String) -> Void) {
        for (field, days) in [("idempotency_horizon_days", idempotencyHorizonDays), ("reversal_window_days", reversalWindowDays)] {
            if let days, !Self.horizonDaysRange.contains(days) {
                report(field, "must be in 1...36500 days, got \(days)")
            }
        }
        switch (idempotencyHorizonDays, reversalWindowDays) {
        case (nil, .some): report("idempotency_horizon_days", "is missing; reversal_window_days needs it (set both or neither)")
        case (.some, nil): report("reversal_window_days", "is missing; idempotency_horizon_days needs it (set both or neither)")
        default: break
        }
        if archivesCycleSummaries, archiveAgeMilliseconds == nil {
            report("archive_cycle_summaries", "needs idempotency_horizon_days and reversal_window_days: without them nothing is archived")
        }
    }

    private func checkParticipant(
        _ base: String, id: String, name: String, iban: String, bic: String,
        _ report: (String, String) -> Void
    ) {
        if !Self.isIdentifier(id) {
            report("\(base).id", "\"\(id)\" must match [a-z0-9][a-z0-9_-]{0,31}")
        }
        if name.isEmpty { report("\(base).name", "must not be empty") }
        if let problem = Self.ibanProblem(iban) { report("\(base).iban", problem) }
        if !Self.isBIC(bic) {
            report("\(base).bic", "\"\(bic)\" is not a BIC (4 letters bank, 2 letters country, 2 location, optional 3 branch)")
        }
    }

    /// A category key must be one a transaction can carry (`FieldLimits.checkCategory`),
    /// or its rate could never be earned; empty is the default rate, not a category.
    private func checkCategoryKey(_ base: String, _ category: String, _ report: (String, String) -> Void) {
        guard !category.isEmpty else {
            report(base, "has an empty category key; the default rate is set by `default`")
            return
        }
        do { try FieldLimits.checkCategory(category, field: base) } catch {
            report(base, "key \(FieldLimits.quoted(category)) \(error.reason)")
        }
    }

    private func checkBasisPoints(_ field: String, _ value: Int64, _ report: (String, String) -> Void) {
        if value < 0 || value > Self.maxBasisPoints {
            report(field, "must be in 0...10000 bp, got \(value)")
        }
    }

    // MARK: Shapes

    /// `[a-z0-9][a-z0-9_-]{0,31}`
    public static func isIdentifier(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...32).contains(bytes.count) else { return false }
        for (position, byte) in bytes.enumerated() {
            let alphanumeric = (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            let separator = byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            if !(alphanumeric || (position > 0 && separator)) { return false }
        }
        return true
    }

    public static func isCurrencyCode(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        return bytes.count == 3 && bytes.allSatisfy { (0x41...0x5A).contains($0) }
    }

    /// `AAAA BB CC (DDD)`: bank and country letters, location and branch alphanumeric.
    public static func isBIC(_ bic: String) -> Bool {
        let bytes = Array(bic.utf8)
        guard bytes.count == 8 || bytes.count == 11 else { return false }
        let upper: (UInt8) -> Bool = { (0x41...0x5A).contains($0) }
        let upperOrDigit: (UInt8) -> Bool = { upper($0) || (0x30...0x39).contains($0) }
        return bytes[0..<6].allSatisfy(upper) && bytes[6...].allSatisfy(upperOrDigit)
    }

    /// nil when `iban` is a well-formed IBAN with a valid ISO 7064 mod-97 checksum.
    public static func ibanProblem(_ iban: String) -> String? {
        let bytes = Array(iban.utf8)
        guard (15...34).contains(bytes.count) else {
            return "\"\(iban)\" must have 15 to 34 characters, has \(bytes.count)"
        }
        let upper: (UInt8) -> Bool = { (0x41...0x5A).contains($0) }
        let digit: (UInt8) -> Bool = { (0x30...0x39).contains($0) }
        guard upper(bytes[0]), upper(bytes[1]), digit(bytes[2]), digit(bytes[3]),
            bytes.allSatisfy({ upper($0) || digit($0) })
        else {
            return "\"\(iban)\" must be a country code, 2 check digits and uppercase letters or digits"
        }
        var remainder = 0
        for byte in bytes[4...] + bytes[0..<4] {
            let value = digit(byte) ? Int(byte - 0x30) : Int(byte - 0x41) + 10
            remainder = (value < 10 ? remainder * 10 + value : remainder * 100 + value) % 97
        }
        return remainder == 1 ? nil : "\"\(iban)\" fails the mod-97 checksum"
    }
}
