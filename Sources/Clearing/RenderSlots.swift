import Foundation

/// Rendered files from concurrent workers, one slot per file so the output order does not
/// depend on thread timing. @unchecked Sendable: every access holds `lock`.
final class RenderSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [SettlementFile?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ file: SettlementFile, at index: Int) {
        lock.withLock { slots[index] = file }
    }

    /// Every slot, in order; a missing one is a bug in the caller's work split.
    var files: [SettlementFile] {
        lock.withLock { slots.map { $0! } }
    }
}
