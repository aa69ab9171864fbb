import Synchronization

/// Open connections, in all and per client address, bounded (see `ConnectionGuard`).
final class ConnectionRegistry: Sendable {
    private struct State {
        var total = 0
        var byClient: [String: Int] = [:]
    }

    let maxConnections: Int
    let maxPerClient: Int
    private let state = Mutex(State())

    init(maxConnections: Int, maxPerClient: Int) {
        self.maxConnections = max(1, maxConnections)
        self.maxPerClient = max(1, maxPerClient)
    }

    /// Counts a new connection from `client`; false (nothing counted) when over either bound.
    func open(_ client: String) -> Bool {
        state.withLock { s in
            let mine = s.byClient[client, default: 0]
            guard s.total < maxConnections, mine < maxPerClient else { return false }
            s.total += 1
            s.byClient[client] = mine + 1
            return true
        }
    }

    func close(_ client: String) {
        state.withLock { s in
            s.total -= 1
            let mine = s.byClient[client, default: 1] - 1
            s.byClient[client] = mine > 0 ? mine : nil
        }
    }

    var open: Int { state.withLock { $0.total } }
}
