import Testing

@testable import Benchmarks

/// `loyalty bench history`'s apply-rate windows: which batches each one sums.
@Suite("History benchmark windows")
struct HistoryWindowsTests {
    /// Ten batches of 10 transactions; batch `i` starts after 10 × i and took i + 1 seconds.
    private static let batches: [(start: Int, window: HistoryBenchmark.Window)] = (0..<10).map { index in
        (index * 10, HistoryBenchmark.Window(records: 10, seconds: Double(index + 1), cpuSeconds: 0, pagesWritten: Int64(index)))
    }

    @Test("the first, the one before the last and the last windows sum their batches; the steady one starts at its start")
    func windows() {
        let sums = HistoryBenchmark.Windows(Self.batches, transactions: 100, window: 30, steadyStart: 40)
        #expect(sums.first.records == 30)
        #expect(sums.first.seconds == 1 + 2 + 3)
        #expect(sums.last.records == 30)
        #expect(sums.last.seconds == 8 + 9 + 10)
        #expect(sums.beforeLast.records == 30)
        #expect(sums.beforeLast.seconds == 5 + 6 + 7)
        #expect(sums.afterSteady.records == 30)
        #expect(sums.afterSteady.seconds == 5 + 6 + 7)
        #expect(sums.afterSteady.pagesWritten == 4 + 5 + 6)
    }

    @Test("no steady window without a steady day, or when a whole one does not fit before the end")
    func noSteadyWindow() {
        #expect(HistoryBenchmark.Windows(Self.batches, transactions: 100, window: 30, steadyStart: nil).afterSteady.records == 0)
        #expect(HistoryBenchmark.Windows(Self.batches, transactions: 100, window: 30, steadyStart: 80).afterSteady.records == 0)
        // A window exactly up to the end fits: it is then the last one too.
        let atEnd = HistoryBenchmark.Windows(Self.batches, transactions: 100, window: 30, steadyStart: 70)
        #expect(atEnd.afterSteady.records == 30)
        #expect(atEnd.afterSteady.seconds == atEnd.last.seconds)
    }
}
