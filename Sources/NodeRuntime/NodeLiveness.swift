import Synchronization

/// Whether a node's loop is alive, for `/health`: starting or running answers 200; once the
/// loop has stopped or failed, 503 with why. Set by the node's service, read by the
/// observability endpoint from any thread.
public final class NodeLiveness: Sendable {
    public enum State: Sendable, Equatable {
        case starting
        case running
        case stopped
        case failed(String)
    }

    private let state = Mutex(State.starting)

    public init() {}

    public var current: State { state.withLock { $0 } }

    public func running() { state.withLock { $0 = .running } }
    public func stopped() { state.withLock { $0 = .stopped } }
    public func failed(_ error: any Error) { state.withLock { $0 = .failed("\(error)") } }

    /// The `/health` answer for the loop named `loop` ("worker loop", "clearing loop").
    public func answer(loop: String) -> ProbeAnswer {
        switch current {
        case .starting: return .up("\(loop) starting")
        case .running: return .up("\(loop) running")
        case .stopped: return .down("\(loop) stopped")
        case .failed(let reason): return .down("\(loop) failed: \(reason)")
        }
    }

    /// Runs a node's loop (`body`, usually `DedicatedThread.run`), recording that it runs
    /// and how it ended.
    public func track(_ body: () async throws -> Void) async throws {
        running()
        do {
            try await body()
            stopped()
        } catch {
            failed(error)
            throw error
        }
    }
}
