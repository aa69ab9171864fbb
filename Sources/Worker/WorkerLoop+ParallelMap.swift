import Foundation
import Synchronization

extension WorkerLoop {
    /// `body(0..<count)` on up to `threads` threads (and no more than libdispatch runs at
    /// once: one per core), results in index order. Each index is handled by exactly one
    /// thread; `body` must touch only state of its index. `package`: the ledger benchmark
    /// applies shards exactly as the worker does.
    package static func parallelMap<T>(_ count: Int, threads: Int, _ body: (Int) -> T) -> [T] {
        let parallelism = min(threads, count)
        if parallelism <= 1 { return (0..<count).map(body) }
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox((body, results))
            DispatchQueue.concurrentPerform(iterations: parallelism) { _ in
                let (body, results) = box.value
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < count else { return }
                    results[index] = body(index)
                }
            }
        }
        let out = results.map { $0! }
        _ = results.deinitialize()
        return out
    }
}

/// Hands non-Sendable values to `parallelMap`'s threads, which touch disjoint parts only.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
