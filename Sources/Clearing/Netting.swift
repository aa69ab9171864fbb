/// Netting of gross debts into per-participant positions.
///
/// Cost: O(entries) dictionary work keyed by interned participant indices (two string
/// hashes per entry to intern, then integer pair keys only), O(n log n) to rank ids, and
/// a sort of the distinct pairs (at most min(entries, n²)) that gives the stable output
/// order and merges a flipped negative sum into its opposite direction.
public enum Netting {
    /// Nets `debts`. `operatorId` and every id in `participants` get a position even when
    /// zero. Throws `.arithmeticOverflow` if any sum leaves Int64, `.invalidInput` for an
    /// empty participant id.
    public static func net(
        _ debts: [GrossDebt], operatorId: String, participants: [String] = []
    ) throws(ClearingError) -> NettingResult {
        var interner = ParticipantInterner()
        _ = try interner.intern(operatorId)
        for participant in participants { _ = try interner.intern(participant) }

        // Signed sums per (payer, payee) as given, so a cancel in the same cycle cancels
        // its redemption instead of showing up as two opposite obligations.
        var pairSumsMinor: [UInt64: Int64] = [:]
        pairSumsMinor.reserveCapacity(min(debts.count, 1 << 22))
        var selfSumsMinor: [Int32: Int64] = [:]
        for debt in debts {
            let payer = try interner.intern(debt.payer)
            let payee = try interner.intern(debt.payee)
            if payer == payee {
                guard addChecked(&selfSumsMinor[payer, default: 0], debt.amountMinor) else {
                    throw overflow("self-debt sum of \(debt.payer)")
                }
                continue
            }
            guard addChecked(&pairSumsMinor[pairKey(payer, payee), default: 0], debt.amountMinor)
            else { throw overflow("debt sum \(debt.payer) -> \(debt.payee)") }
        }

        // Rank = position of the id in byte order; keys by rank sort into output order, so
        // input order does not matter.
        let count = interner.ids.count
        let byId = (0..<count).sorted { idPrecedes(interner.ids[$0], interner.ids[$1]) }
        var rank = [Int32](repeating: 0, count: count)
        for (position, index) in byId.enumerated() { rank[index] = Int32(position) }

        // Negative sums become debts in the opposite direction; sorting brings (a, b) and a
        // flipped (b, a) together so they merge.
        var directed: [(key: UInt64, amountMinor: Int64)] = []
        directed.reserveCapacity(pairSumsMinor.count)
        for (key, sumMinor) in pairSumsMinor where sumMinor != 0 {
            let (payer, payee) = unpack(key)
            if sumMinor > 0 {
                directed.append((pairKey(rank[Int(payer)], rank[Int(payee)]), sumMinor))
            } else {
                guard sumMinor != Int64.min else {
                    throw overflow("debt sum \(interner.ids[Int(payee)]) -> \(interner.ids[Int(payer)])")
                }
                directed.append((pairKey(rank[Int(payee)], rank[Int(payer)]), -sumMinor))
            }
        }
        directed.sort { $0.key < $1.key }

        var positionsMinor = [Int64](repeating: 0, count: count)  // by rank
        var grossMinor: Int64 = 0
        var obligations: [BilateralObligation] = []
        obligations.reserveCapacity(directed.count)
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
            guard addChecked(&positionsMinor[Int(payee)], amountMinor),
                addChecked(&positionsMinor[Int(payer)], -amountMinor),
                addChecked(&grossMinor, amountMinor)
            else { throw overflow("net position or gross total") }
            obligations.append(
                BilateralObligation(
                    payer: interner.ids[byId[Int(payer)]], payee: interner.ids[byId[Int(payee)]], amountMinor: amountMinor))
        }
        precondition(positionsMinor.reduce(0, &+) == 0, "net positions must sum to exactly 0")

        let positions = byId.indices.map {
            NetPosition(participant: interner.ids[byId[$0]], amountMinor: positionsMinor[$0])
        }
        let selfDebts = selfSumsMinor.map {
            NetPosition(participant: interner.ids[Int($0.key)], amountMinor: $0.value)
        }.sorted { idPrecedes($0.participant, $1.participant) }
        return NettingResult(
            positions: positions, obligations: obligations, selfDebts: selfDebts,
            entryCount: debts.count, grossAmountMinor: grossMinor)
    }

    @inline(__always)
    static func pairKey(_ payer: Int32, _ payee: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: payer)) << 32 | UInt64(UInt32(bitPattern: payee))
    }

    @inline(__always)
    static func unpack(_ key: UInt64) -> (Int32, Int32) {
        (Int32(bitPattern: UInt32(truncatingIfNeeded: key >> 32)),
         Int32(bitPattern: UInt32(truncatingIfNeeded: key)))
    }

    static func overflow(_ what: String) -> ClearingError {
        ClearingError(
            .arithmeticOverflow,
            "\(what) leaves the Int64 range of minor units; split the cycle or check the ledger for corrupt amounts")
    }
}

/// Adds with overflow detection; leaves `value` unchanged and returns false on overflow.
@inline(__always)
func addChecked(_ value: inout Int64, _ addend: Int64) -> Bool {
    let (sum, overflowed) = value.addingReportingOverflow(addend)
    if overflowed { return false }
    value = sum
    return true
}
