import Clearing
import Foundation

/// Errors from concurrent file writers, keyed by file index so the reported one does not
/// depend on thread timing. @unchecked Sendable: every access holds `lock`.
final class FailureSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [Int: ClearingError] = [:]

    func record(_ error: ClearingError, at index: Int) {
        lock.withLock { failures[index] = error }
    }

    /// The failure of the lowest file index.
    var first: ClearingError? {
        lock.withLock { failures.min { $0.key < $1.key }?.value }
    }
}
