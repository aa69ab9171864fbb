import Programme

/// Netting of gross debts into per-participant positions.
///
/// Cost: one pass interning ids to dense indices (the only string hashing), O(n log n) to
/// rank ids in byte order, then integer-keyed aggregation: an n × n matrix for up to 2,048
/// participants (O(entries + n²), output already in order), else a dictionary keyed by
/// rank pairs plus a sort of the distinct pairs (O(entries + pairs log pairs)).
public enum Netting {
    /// Nets `debts`. `operatorId` and every id in `participants` get a position even when
    /// zero. Throws `.arithmeticOverflow` if any sum leaves Int64, `.invalidInput` for an
    /// empty participant id.
    public static func net(
        _ debts: [DebtTotal], operatorId: String, participants: [String] = []
    ) throws(ClearingError) -> NettingResult {
        try net(debts, operatorId: operatorId, participants: participants, denseParticipantLimit: denseParticipantLimit)
    }

    /// Up to this many participants, pair sums live in an n × n matrix (≤ 32 MiB) instead of
    /// a dictionary: no hashing per entry and the output comes out sorted without a sort.
    static let denseParticipantLimit = 2048

    static func net(
        _ debts: [DebtTotal], operatorId: String, participants: [String], denseParticipantLimit: Int
    ) throws(ClearingError) -> NettingResult {
        var interner = ParticipantInterner()
        _ = try interner.intern(operatorId)
        for participant in participants { _ = try interner.intern(participant) }
        var payers = [Int32](repeating: 0, count: debts.count)
        var payees = [Int32](repeating: 0, count: debts.count)
        for (offset, debt) in debts.enumerated() {
            payers[offset] = try interner.intern(debt.payer)
            payees[offset] = try interner.intern(debt.payee)
        }

        // Rank = position of the id in byte order; output follows ranks, so input order
        // does not matter.
        let count = interner.ids.count
        let byId = (0..<count).sorted { idPrecedes(interner.ids[$0], interner.ids[$1]) }
        var rank = [Int32](repeating: 0, count: count)
        for (position, index) in byId.enumerated() { rank[index] = Int32(position) }

        var selfSumsMinor = [Int64](repeating: 0, count: count)  // by rank
        var hasSelfDebt = [Bool](repeating: false, count: count)
        var builder = ObligationBuilder(ids: byId.map { interner.ids[$0] })
        if count <= denseParticipantLimit && count * count <= max(4 * debts.count, 1 << 16) {
            try aggregateDense(debts, payers, payees, rank, &selfSumsMinor, &hasSelfDebt, &builder)
        } else {
            try aggregateSparse(debts, payers, payees, rank, &selfSumsMinor, &hasSelfDebt, &builder)
        }
        precondition(builder.positionsMinor.reduce(0, &+) == 0, "net positions must sum to exactly 0")

        let positions = (0..<count).map {
            NetPosition(participant: builder.ids[$0], amountMinor: builder.positionsMinor[$0])
        }
        let selfDebts = (0..<count).filter { hasSelfDebt[$0] }.map {
            NetPosition(participant: builder.ids[$0], amountMinor: selfSumsMinor[$0])
        }
        return NettingResult(
            positions: positions, obligations: builder.obligations, selfDebts: selfDebts,
            entryCount: debts.count, grossAmountMinor: builder.grossMinor)
    }

    /// Signed sums per ordered pair in a rank × rank matrix; a pair's debt is its positive
    /// sum plus the negated negative sum of the opposite pair (a cancel flips direction).
    private static func aggregateDense(
        _ debts: [DebtTotal], _ payers: [Int32], _ payees: [Int32], _ rank: [Int32],
        _ selfSumsMinor: inout [Int64], _ hasSelfDebt: inout [Bool], _ builder: inout ObligationBuilder
    ) throws(ClearingError) {
        let count = rank.count
        var matrixMinor = [Int64](repeating: 0, count: count * count)
        for offset in debts.indices {
            let payer = Int(rank[Int(payers[offset])])
            let payee = Int(rank[Int(payees[offset])])
            let amountMinor = debts[offset].amountMinor
            if payer == payee {
                hasSelfDebt[payer] = true
                guard addChecked(&selfSumsMinor[payer], amountMinor) else { throw overflow("self-debt sum of \(debts[offset].payer)") }
                continue
            }
            guard addChecked(&matrixMinor[payer * count + payee], amountMinor) else {
                throw overflow("debt sum \(debts[offset].payer) -> \(debts[offset].payee)")
            }
        }
        for payer in 0..<count {
            for payee in 0..<count where payer != payee {
                let forwardMinor = matrixMinor[payer * count + payee]
                let backwardMinor = matrixMinor[payee * count + payer]
                var amountMinor: Int64 = forwardMinor > 0 ? forwardMinor : 0
                if backwardMinor < 0 {
                    guard backwardMinor != .min, addChecked(&amountMinor, -backwardMinor) else {
                        throw overflow("debt sum \(builder.ids[payer]) -> \(builder.ids[payee])")
                    }
                }
                if amountMinor > 0 { try builder.add(payer: payer, payee: payee, amountMinor: amountMinor) }
            }
        }
    }

    /// Signed sums per ordered pair in a dictionary keyed by rank pairs (any participant
    /// count); sorting the flipped pairs brings (a, b) and (b, a) < 0 together to merge.
    private static func aggregateSparse(
        _ debts: [DebtTotal], _ payers: [Int32], _ payees: [Int32], _ rank: [Int32],
        _ selfSumsMinor: inout [Int64], _ hasSelfDebt: inout [Bool], _ builder: inout ObligationBuilder
    ) throws(ClearingError) {
        var pairSumsMinor: [UInt64: Int64] = [:]
        pairSumsMinor.reserveCapacity(min(debts.count, 1 << 22))
        for offset in debts.indices {
            let payer = rank[Int(payers[offset])]
            let payee = rank[Int(payees[offset])]
            let amountMinor = debts[offset].amountMinor
            if payer == payee {
                hasSelfDebt[Int(payer)] = true
                guard addChecked(&selfSumsMinor[Int(payer)], amountMinor) else { throw overflow("self-debt sum of \(debts[offset].payer)") }
                continue
            }
            guard addChecked(&pairSumsMinor[pairKey(payer, payee), default: 0], amountMinor) else {
                throw overflow("debt sum \(debts[offset].payer) -> \(debts[offset].payee)")
            }
        }
        var directed: [(key: UInt64, amountMinor: Int64)] = []
        directed.reserveCapacity(pairSumsMinor.count)
        for (key, sumMinor) in pairSumsMinor where sumMinor != 0 {
            let (payer, payee) = unpack(key)
            if sumMinor > 0 {
                directed.append((key, sumMinor))
            } else {
                guard sumMinor != .min else { throw overflow("debt sum \(builder.ids[Int(payee)]) -> \(builder.ids[Int(payer)])") }
                directed.append((pairKey(payee, payer), -sumMinor))
            }
        }
        directed.sort { $0.key < $1.key }
        var next = 0
        while next < directed.count {
            let key = directed[next].key
            var amountMinor = directed[next].amountMinor
            next += 1
            while next < directed.count, directed[next].key == key {
                guard addChecked(&amountMinor, directed[next].amountMinor) else { throw overflow("bilateral debt sum") }
                next += 1
            }
            let (payer, payee) = unpack(key)
            try builder.add(payer: Int(payer), payee: Int(payee), amountMinor: amountMinor)
        }
    }

    @inline(__always)
    static func pairKey(_ payer: Int32, _ payee: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: payer)) << 32 | UInt64(UInt32(bitPattern: payee))
    }

    @inline(__always)
    static func unpack(_ key: UInt64) -> (Int32, Int32) {
        (
            Int32(bitPattern: UInt32(truncatingIfNeeded: key >> 32)),
            Int32(bitPattern: UInt32(truncatingIfNeeded: key))
        )
    }

    static func overflow(_ what: String) -> ClearingError {
        ClearingError(
            .arithmeticOverflow,
            "\(what) leaves the Int64 range of minor units; split the cycle or check the ledger for corrupt amounts")
    }
}

/// Adds with overflow detection; leaves `value` unchanged and returns false on overflow.
@inline(__always)
package func addChecked(_ value: inout Int64, _ addend: Int64) -> Bool {
    let (sum, overflowed) = value.addingReportingOverflow(addend)
    if overflowed { return false }
    value = sum
    return true
}
