import Programme

/// `cycle-<N>-conversions-<partner>.csv`: what an exchange partner credits its members for
/// the cycle's conversions (docs/finance.md, "Conversion files"), one file per exchange
/// partner with conversions in the cycle.
///
/// `record,external_member_id,points,miles,member_id,partner_txn_id` rows: a `conversion`
/// row per conversion, sorted by (external_member_id, partner_txn_id) in byte order, then
/// one `total` row (the points and miles summed, the number of conversions in the
/// member_id column). Text fields are quoted when they need it (RFC 4180); lines end in LF.
package enum ConversionFileCSV {
    package static let header = "record,external_member_id,points,miles,member_id,partner_txn_id\n"
    package static let columnCount = 6

    /// The exchange partners' files of `input`, by partner id.
    package static func files(_ input: CycleSettlementInput) -> [SettlementFile] {
        var byPartner: [String: [Conversion]] = [:]
        for conversion in input.conversions { byPartner[conversion.partnerId, default: []].append(conversion) }
        return byPartner.keys.sorted(by: idPrecedes).map { partner in
            SettlementFile(
                name: SettlementFileName.conversions(cycle: input.cycle, partner: partner), bytes: Array(render(byPartner[partner]!).utf8))
        }
    }

    /// One partner's file. Sums cannot overflow: `validateConversions` bounds every line.
    package static func render(_ conversions: [Conversion]) -> String {
        let sorted = conversions.sorted { precedes($0, $1) }
        var out = header
        out.reserveCapacity(header.utf8.count + conversions.count * 64 + 64)
        var points: Int64 = 0
        var miles: Int64 = 0
        for c in sorted {
            out += CSV.line(["conversion", c.externalMemberId, String(c.points), String(c.miles), c.memberId, c.partnerTxnId])
            points &+= c.points
            miles &+= c.miles
        }
        out += CSV.line(["total", "", String(points), String(miles), String(sorted.count), ""])
        return out
    }

    /// The file's order: external member id, then the partner's transaction id (unique
    /// per partner), bytewise.
    static func precedes(_ a: Conversion, _ b: Conversion) -> Bool {
        if a.externalMemberId != b.externalMemberId { return idPrecedes(a.externalMemberId, b.externalMemberId) }
        return idPrecedes(a.partnerTxnId, b.partnerTxnId)
    }

    /// The sums a file's `total` row must hold.
    package struct Totals: Equatable, Sendable {
        package var points: Int64 = 0
        package var miles: Int64 = 0
        package var count: Int64 = 0
    }

    /// Checks a conversion file's content (after its hash held): the header, every row a
    /// well-formed conversion of positive points and miles in file order, no repeated
    /// transaction id, and a last `total` row equal to the sums. The problem as (line,
    /// expected, found), nil when the file is sound.
    package static func problem(_ bytes: [UInt8]) -> (line: Int, expected: String, found: String)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n") else { return (0, "lines ending in LF", "no final LF") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == header.dropLast() else {
            return (1, String(header.dropLast()), String(lines.first ?? ""))
        }
        var sums = Totals()
        var previous: Conversion?
        var seen: Set<String> = []
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            guard let fields = CSV.split(line), fields.count == columnCount else {
                return (number, "\(columnCount) CSV fields", String(line))
            }
            if index == lines.count - 1 {
                let found = (fields[0], Int64(fields[2]), Int64(fields[3]), Int64(fields[4]))
                guard found.0 == "total", found.1 == sums.points, found.2 == sums.miles, found.3 == sums.count else {
                    return (number, "total,,\(sums.points),\(sums.miles),\(sums.count),", String(line))
                }
                return nil
            }
            guard fields[0] == "conversion", let points = Int64(fields[2]), let miles = Int64(fields[3]), points > 0, miles > 0,
                !fields[1].isEmpty, !fields[4].isEmpty, !fields[5].isEmpty
            else {
                return (number, "conversion,<external id>,<points > 0>,<miles > 0>,<member>,<txn>", String(line))
            }
            let c = Conversion(
                partnerId: "", partnerTxnId: fields[5], memberId: fields[4], externalMemberId: fields[1], points: points, miles: miles,
                offset: 0)
            if let previous, !precedes(previous, c) { return (number, "rows sorted by external_member_id, partner_txn_id", String(line)) }
            guard seen.insert(c.partnerTxnId).inserted else { return (number, "each partner_txn_id once", String(line)) }
            let (p, o1) = sums.points.addingReportingOverflow(points)
            let (m, o2) = sums.miles.addingReportingOverflow(miles)
            guard !o1, !o2 else { return (number, "sums within 64 bits", String(line)) }
            (sums.points, sums.miles, sums.count) = (p, m, sums.count + 1)
            previous = c
        }
        return (lines.count, "a last total row", "none")
    }
}

extension SettlementFileName {
    public static func conversions(cycle: Int64, partner: String) -> String { "cycle-\(cycle)-conversions-\(partner).csv" }
}

extension CycleSettlementInput {
    /// This input with the cycle's conversions (every shard's, in partition then offset order).
    public func withConversions(_ conversions: [Conversion]) -> CycleSettlementInput {
        var input = self
        input.conversions = conversions
        return input
    }

    /// Each conversion names a participant with an account, converts points and miles in
    /// range, and carries the ids its file prints; a partner's transaction id appears once;
    /// each partner's sums fit in 64 bits (its file's total row).
    func validateConversions(accounts: Set<String>) throws(ClearingError) {
        var seen: Set<[String]> = []
        var sums: [String: (points: Int64, miles: Int64)] = [:]
        for c in conversions {
            guard accounts.contains(c.partnerId) else {
                throw ClearingError(.unknownParticipant, "a conversion at \(c.partnerId), which has no account", location: "conversions")
            }
            guard FieldLimits.amountRange.contains(c.points), c.miles > 0, c.miles <= FieldLimits.maxAmount * 1_000_000 else {
                throw ClearingError(
                    .invalidInput, "a conversion needs points in 1...10^12 and miles > 0", location: "conversions",
                    found: "\(c.partnerId)/\(c.partnerTxnId): \(c.points) points, \(c.miles) miles")
            }
            guard !c.externalMemberId.isEmpty, !c.memberId.isEmpty, !c.partnerTxnId.isEmpty else {
                throw ClearingError(.invalidInput, "a conversion needs its external member id, member and transaction id", location: "conversions")
            }
            guard seen.insert([c.partnerId, c.partnerTxnId]).inserted else {
                throw ClearingError(
                    .invalidInput, "conversion \(c.partnerTxnId) of \(c.partnerId) appears twice", location: "conversions")
            }
            let sum = sums[c.partnerId, default: (0, 0)]
            let (points, o1) = sum.points.addingReportingOverflow(c.points)
            let (miles, o2) = sum.miles.addingReportingOverflow(c.miles)
            guard !o1, !o2 else {
                throw ClearingError(.invalidInput, "the conversions at \(c.partnerId) sum past 64 bits", location: "conversions")
            }
            sums[c.partnerId] = (points, miles)
        }
    }
}
