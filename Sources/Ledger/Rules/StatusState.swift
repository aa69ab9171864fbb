/// A member's status (tier) and the activity that qualifies for one (docs/programme.md,
/// "Statuses"). The status itself is not stored: it is a function of these counters and
/// the event time (`LedgerRules.statusLevel`), so a downgrade needs no transaction to
/// happen. Bounded: buckets older than the qualification period are pruned at each write
/// (at most `window_days` daily buckets, or two calendar periods).
///
/// Stored as `{"b":"key,spend,visits,nights;Δkey,spend,visits,nights;…","last":ms,"since":ms,"u":"month"}`
/// (each key after the first as its distance from the previous one): one JSON string that
/// is parsed by hand, since it is decoded at each member load and encoded at each write (a
/// year of daily buckets as nested JSON arrays took about 1 ms each way in a debug build).
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
    /// The unit of the bucket keys (`StatusRules.bucketUnit`); nil: "day".
    var unit: String?

    init() {}

    init(buckets: [Bucket], lastActivityMilliseconds: Int64?, countingSinceMilliseconds: Int64? = nil) {
        (self.buckets, self.lastActivityMilliseconds) = (buckets, lastActivityMilliseconds)
        self.countingSinceMilliseconds = countingSinceMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case buckets = "b"
        case lastActivityMilliseconds = "last"
        case countingSinceMilliseconds = "since"
        case unit = "u"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decodeIfPresent(String.self, forKey: .buckets) ?? ""
        guard let parsed = Self.buckets(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .buckets, in: c, debugDescription: "status buckets are not \"key,spend,visits,nights;…\" with increasing keys")
        }
        buckets = parsed
        lastActivityMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .lastActivityMilliseconds)
        countingSinceMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .countingSinceMilliseconds)
        unit = try c.decodeIfPresent(String.self, forKey: .unit)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !buckets.isEmpty {
            try c.encode(Self.text(buckets), forKey: .buckets)
        }
        try c.encodeIfPresent(lastActivityMilliseconds, forKey: .lastActivityMilliseconds)
        try c.encodeIfPresent(countingSinceMilliseconds, forKey: .countingSinceMilliseconds)
        try c.encodeIfPresent(unit, forKey: .unit)
    }

    /// The stored text of `buckets` (sorted by key).
    static func text(_ buckets: [Bucket]) -> String {
        var text = ""
        text.reserveCapacity(buckets.count * 16)
        var previous: Int64?
        for bucket in buckets {
            if let previous { text += ";\(bucket.key - previous)" } else { text += String(bucket.key) }
            text += ",\(bucket.spendMinor),\(bucket.visits),\(bucket.nights)"
            previous = bucket.key
        }
        return text
    }

    /// The buckets of a stored text; nil unless every bucket has 4 integers, keys increase
    /// and counters are not negative ("" is no bucket).
    static func buckets(_ text: String) -> [Bucket]? {
        var result: [Bucket] = []
        var fields: [Int64] = []
        fields.reserveCapacity(4)
        var value: Int64 = 0
        var negative = false
        var digits = 0
        func endField() -> Bool {
            guard digits > 0, fields.count < 4 else { return false }
            fields.append(negative ? -value : value)
            (value, negative, digits) = (0, false, 0)
            return true
        }
        func endBucket() -> Bool {
            guard fields.count == 4, fields[1] >= 0, fields[2] >= 0, fields[3] >= 0 else { return false }
            var key = fields[0]
            if let last = result.last {
                guard key > 0 else { return false }
                let (sum, overflow) = last.key.addingReportingOverflow(key)
                guard !overflow else { return false }
                key = sum
            }
            result.append(Bucket(key: key, spendMinor: fields[1], visits: fields[2], nights: fields[3]))
            fields.removeAll(keepingCapacity: true)
            return true
        }
        guard !text.isEmpty else { return [] }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !overflow, !overflowSum else { return nil }
                (value, digits) = (sum, digits + 1)
            case UInt8(ascii: "-"):
                guard digits == 0, !negative else { return nil }
                negative = true
            case UInt8(ascii: ","):
                guard endField() else { return nil }
            case UInt8(ascii: ";"):
                guard endField(), endBucket() else { return nil }
            default:
                return nil
            }
        }
        guard endField(), endBucket() else { return nil }
        return result
    }
}
