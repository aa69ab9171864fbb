import Synchronization

/// Signatures seen recently. An entry lives 2 × window from insertion: any timestamp accepted
/// at insertion is outside the window by then, so the timestamp check alone refuses a replay.
/// Bounded: when full of live entries, `insert` refuses (the caller answers 503) rather than
/// forgetting a live signature, which would let it be replayed.
final class ReplayCache: Sendable {
    enum Outcome { case fresh, replay, full }

    private struct State {
        var seen: [String: Int64] = [:]
        var order: [(signature: String, expiresAt: Int64)] = []
        var head = 0
    }

    private let state = Mutex(State())
    private let lifetimeMilliseconds: Int64
    private let capacity: Int

    init(windowMilliseconds: Int64, capacity: Int) {
        lifetimeMilliseconds = 2 * windowMilliseconds
        self.capacity = capacity
    }

    func insert(_ signature: String, nowMilliseconds: Int64) -> Outcome {
        state.withLock { s in
            while s.head < s.order.count, s.order[s.head].expiresAt <= nowMilliseconds {
                s.seen[s.order[s.head].signature] = nil
                s.head += 1
            }
            if s.head > 4096, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
            if s.seen[signature] != nil { return .replay }
            if s.seen.count >= capacity { return .full }
            let expiresAt = nowMilliseconds + lifetimeMilliseconds
            s.seen[signature] = expiresAt
            s.order.append((signature, expiresAt))
            return .fresh
        }
    }
}
