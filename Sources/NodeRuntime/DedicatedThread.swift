import Foundation
import ServiceLifecycle

/// Runs a node's blocking loop (librdkafka polls, SQLite writes) on a thread of its own,
/// never on Swift's cooperative pool, and ties it to the service lifecycle.
public enum DedicatedThread {
    /// Runs `body` on a new thread named `name` and waits for it. Graceful shutdown and
    /// task cancellation call `stop`, which must make `body` return after the work in
    /// hand; `body`'s error, if any, is rethrown.
    public static func run(
        name: String,
        stop: @escaping @Sendable () -> Void,
        _ body: @escaping @Sendable () throws -> Void
    ) async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                    let thread = Thread {
                        do {
                            try body()
                            continuation.resume()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = name
                    thread.start()
                }
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            stop()
        }
    }
}
