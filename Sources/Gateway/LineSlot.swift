import Synchronization

/// The status line of one batch record, filled in when Kafka acknowledges (or refuses) it.
final class LineSlot: Sendable {
    private struct State {
        var text: String?
        var continuation: CheckedContinuation<String, Never>?
    }
    private let state: Mutex<State>

    init(text: String? = nil) { state = Mutex(State(text: text)) }

    func complete(_ text: String) {
        let continuation: CheckedContinuation<String, Never>? = state.withLock { s in
            guard s.text == nil else { return nil }
            s.text = text
            defer { s.continuation = nil }
            return s.continuation
        }
        continuation?.resume(returning: text)
    }

    var isComplete: Bool { state.withLock { $0.text != nil } }

    func value() async -> String {
        await withCheckedContinuation { continuation in
            let ready: String? = state.withLock { s in
                if let text = s.text { return text }
                s.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Bounds the records of one batch that are published but not yet answered.
final class InFlightWindow: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }
    private let state: Mutex<State>

    init(capacity: Int) { state = Mutex(State(available: capacity)) }

    func acquire() async {
        await withCheckedContinuation { continuation in
            let go: Bool = state.withLock { s in
                if s.closed { return true }
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if go { continuation.resume() }
        }
    }

    /// The answer stopped (client gone): lets a blocked reader run on and notice.
    func close() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.closed = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func release() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.available += 1
            return nil
        }
        waiter?.resume()
    }
}
