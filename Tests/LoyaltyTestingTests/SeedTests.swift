import Basics
import Synchronization
import Testing

@testable import LoyaltyTesting

/// The `.seeded` trait: the test reads the seed it was given (or LOYALTY_TEST_SEED's), draws
/// the same numbers from it every run, and every issue it records says how to replay it.
@Suite("Seeded tests", .timeLimit(.minutes(10)))
struct SeedTests {
    /// Whether this run was given LOYALTY_TEST_SEED (then the fixed seeds are not used).
    static let overridden = TestSeed.chosen(fixed: 1) != 1 || TestSeed.chosen(fixed: 2) != 2

    @Test("a seeded test reads its seed and draws SplitMix64's numbers from it", .seeded(77))
    func readsItsSeed() {
        let seed = TestSeed.value
        if !Self.overridden { #expect(seed == 77) }
        var drawn = TestSeed.generator()
        var expected = SplitMix64(seed: seed)
        #expect((0..<8).map { _ in drawn.next() } == (0..<8).map { _ in expected.next() })
        var salted = TestSeed.generator(salt: 0x5A17)
        var unsalted = TestSeed.generator()
        #expect(salted.next() != unsalted.next(), "a salt gives another stream")
    }

    @Test("outside a seeded test there is no seed")
    func noSeedOutside() {
        #expect(TestSeed.current == nil)
    }

    @Test("an issue recorded in a seeded test names the seed and how to replay it")
    func issuesNameTheSeed() async throws {
        // The trait runs inside a handler that keeps (and swallows) what reaches it, as the
        // test runner would report it.
        let reported = Mutex<[Issue]>([])
        let keep = IssueHandlingTrait.compactMapIssues { issue in
            reported.withLock { $0.append(issue) }
            return nil
        }
        let test = try #require(Test.current)
        let given = Mutex<UInt64?>(nil)
        try await keep.provideScope(for: test, testCase: Test.Case.current) {
            try await SeededTrait(fixed: 99).provideScope(for: test, testCase: Test.Case.current) {
                given.withLock { $0 = TestSeed.current }
                Issue.record("a deliberate failure")
            }
        }
        let seed = try #require(given.withLock { $0 })
        if !Self.overridden { #expect(seed == 99) }
        let comments = reported.withLock { $0.flatMap(\.comments).map(\.rawValue) }
        #expect(reported.withLock { $0.count } == 1)
        #expect(comments.contains("seed \(seed) (replay: LOYALTY_TEST_SEED=\(seed) swift test --filter 'issuesNameTheSeed')"), "\(comments)")
    }

    @Test("LOYALTY_TEST_SEED replaces the fixed seed; unset or blank keeps it; `random` draws one")
    func environment() {
        #expect(TestSeed.chosen(fixed: 5, environment: [:]) == 5)
        #expect(TestSeed.chosen(fixed: 5, environment: ["LOYALTY_TEST_SEED": " "]) == 5)
        #expect(TestSeed.chosen(fixed: 5, environment: ["LOYALTY_TEST_SEED": "123"]) == 123)
        #expect(TestSeed.chosen(fixed: 5, environment: ["LOYALTY_TEST_SEED": " 18446744073709551615 "]) == UInt64.max)
        // Two fresh draws agree with probability 2^-64.
        let random = ["LOYALTY_TEST_SEED": "random"]
        #expect(TestSeed.chosen(fixed: 5, environment: random) != TestSeed.chosen(fixed: 5, environment: random))
    }
}
