import Synchronization

/// Per-partner token buckets: requests per second and transactions per second, each with
/// a burst. A partner over its quota is answered 429 with Retry-After (single requests) or
/// paced (batch records wait for tokens); one partner's traffic never uses another's.
final class PartnerQuotas: Sendable {
    struct Rate: Sendable {
        /// Tokens added per second; 0 or less: unlimited.
        var perSecond: Double
        /// Most tokens a bucket holds (what may be spent at once after a quiet spell).
        var burst: Double
    }

    enum Kind { case requests, transactions }

    private struct Bucket {
        var tokens: Double
        var updatedNanoseconds: Int64
    }

    private struct Buckets {
        var requests: [String: Bucket] = [:]
        var transactions: [String: Bucket] = [:]
    }

    let requests: Rate
    let transactions: Rate
    private let buckets = Mutex(Buckets())
    private let clock = ContinuousClock()
    private let start = ContinuousClock.now

    init(requests: Rate, transactions: Rate) {
        self.requests = requests
        self.transactions = transactions
    }

    /// Takes `count` tokens of `kind` from `partner`'s bucket. nil: taken; else the seconds
    /// until they will be there (nothing taken).
    func take(_ kind: Kind, partner: String, count: Double = 1) -> Double? {
        let rate = kind == .requests ? requests : transactions
        guard rate.perSecond > 0 else { return nil }
        let now = (clock.now - start).nanoseconds
        let capacity = max(rate.burst, count, 1)
        return buckets.withLock { all in
            var bucket = (kind == .requests ? all.requests[partner] : all.transactions[partner]) ?? Bucket(tokens: capacity, updatedNanoseconds: now)
            let elapsedSeconds = Double(max(0, now - bucket.updatedNanoseconds)) / 1e9
            bucket.tokens = min(capacity, bucket.tokens + elapsedSeconds * rate.perSecond)
            bucket.updatedNanoseconds = now
            var wait: Double?
            if bucket.tokens >= count {
                bucket.tokens -= count
            } else {
                wait = (count - bucket.tokens) / rate.perSecond
            }
            if kind == .requests { all.requests[partner] = bucket } else { all.transactions[partner] = bucket }
            return wait
        }
    }

    /// Retry-After for a wait: whole seconds, at least 1, at most a day (a tiny configured
    /// rate must not make an infinite wait, which `Int` cannot hold).
    static func retryAfterSeconds(_ wait: Double) -> Int {
        guard wait.isFinite else { return 86_400 }
        return Int(min(86_400, max(1, wait.rounded(.up))))
    }
}
