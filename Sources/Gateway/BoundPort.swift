import Synchronization

/// The listening port, set once the server runs (shared with the onServerRunning closure).
final class BoundPort: Sendable {
    let value = Atomic<Int>(0)
}
