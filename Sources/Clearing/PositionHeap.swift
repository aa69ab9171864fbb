/// A max-heap of (amount, rank): the largest amount first; equal amounts by smaller rank
/// (rank = position of the id in byte order), which is the greedy rule's tie-break.
struct PositionHeap {
    struct Entry {
        var amountMinor: Int64
        var rank: Int
    }

    private var entries: [Entry] = []

    init(_ initial: [Entry]) {
        entries = initial
        var index = entries.count / 2 - 1
        while index >= 0 {
            siftDown(from: index)
            index -= 1
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        if !entries.isEmpty { siftDown(from: 0) }
        return top
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < entries.count, Self.before(entries[left], entries[best]) { best = left }
            if right < entries.count, Self.before(entries[right], entries[best]) { best = right }
            if best == parent { return }
            entries.swapAt(parent, best)
            parent = best
        }
    }

    @inline(__always)
    private static func before(_ lhs: Entry, _ rhs: Entry) -> Bool {
        lhs.amountMinor != rhs.amountMinor ? lhs.amountMinor > rhs.amountMinor : lhs.rank < rhs.rank
    }
}
