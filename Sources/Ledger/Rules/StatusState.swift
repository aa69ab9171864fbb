/// A member's status (tier) and the activity that qualifies for one (docs/programme.md,
/// "Statuses"). The status itself is not stored: it is a function of these counters and
/// the event time (`LedgerRules.statusLevel`), so a downgrade needs no transaction to
/// happen. Bounded: buckets older than the qualification period are pruned at each write
/// (at most `window_days` daily buckets, or two calendar periods).
///
/// Stored as `{"b":[[key,spend,visits,nights],…],"last":ms,"since":ms}`: compact, since it is decoded
/// at each member load and encoded at each write.
struct StatusState: Equatable, Codable {
    /// What the counted accruals of one bucket (a UTC day, month or year:
    /// `StatusRules.bucketKey`) add up to.
    struct Bucket: Equatable {
        var key: Int64
        var spendMinor: Int64 = 0
        var visits: Int64 = 0
        var nights: Int64 = 0
    }

    /// Sorted by key, oldest first.
    var buckets: [Bucket] = []
    /// The event time of the member's latest counted accrual: inactivity counts from it.
    var lastActivityMilliseconds: Int64?
    /// After a lapse (inactivity): the event time counting started again; accruals before
    /// it (retro-claims) and refunds of them no longer count.
    var countingSinceMilliseconds: Int64?

    init() {}

    init(buckets: [Bucket], lastActivityMilliseconds: Int64?, countingSinceMilliseconds: Int64? = nil) {
        (self.buckets, self.lastActivityMilliseconds) = (buckets, lastActivityMilliseconds)
        self.countingSinceMilliseconds = countingSinceMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case buckets = "b"
        case lastActivityMilliseconds = "last"
        case countingSinceMilliseconds = "since"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rows = try c.decodeIfPresent([[Int64]].self, forKey: .buckets) ?? []
        buckets = try rows.map { row in
            guard row.count == 4 else {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: c, debugDescription: "a status bucket has 4 numbers")
            }
            return Bucket(key: row[0], spendMinor: row[1], visits: row[2], nights: row[3])
        }
        lastActivityMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .lastActivityMilliseconds)
        countingSinceMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .countingSinceMilliseconds)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !buckets.isEmpty {
            try c.encode(buckets.map { [$0.key, $0.spendMinor, $0.visits, $0.nights] }, forKey: .buckets)
        }
        try c.encodeIfPresent(lastActivityMilliseconds, forKey: .lastActivityMilliseconds)
        try c.encodeIfPresent(countingSinceMilliseconds, forKey: .countingSinceMilliseconds)
    }
}
