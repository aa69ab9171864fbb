import Basics
import Foundation
import Testing

/// The seed of a randomised test. Fixed in the source, so every run tests the same cases
/// and a CI failure reproduces on a laptop; LOYALTY_TEST_SEED=<n> replays (or explores) with
/// another seed, LOYALTY_TEST_SEED=random draws a fresh one per test. Whatever the seed, it
/// is written into every issue the test records, with the line that replays it.
///
///     @Test(.seeded(42)) func roundTrips() {
///         var random = TestSeed.generator()
///         ...
///     }
public struct SeededTrait: TestTrait, TestScoping {
    public let fixed: UInt64

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let seed = TestSeed.chosen(fixed: fixed)
        let name = test.name.prefix { $0 != "(" }  // a function's name, without its arguments
        let naming = IssueHandlingTrait.compactMapIssues { issue in
            var issue = issue
            issue.comments.append("seed \(seed) (replay: LOYALTY_TEST_SEED=\(seed) swift test --filter '\(name)')")
            return issue
        }
        try await naming.provideScope(for: test, testCase: testCase) {
            try await TestSeed.$current.withValue(seed) { try await function() }
        }
    }
}

extension Trait where Self == SeededTrait {
    /// Runs the test with `seed` (or LOYALTY_TEST_SEED's) and names it in every failure.
    public static func seeded(_ seed: UInt64) -> Self { SeededTrait(fixed: seed) }
}

public enum TestSeed {
    /// The running test's seed; nil outside a `.seeded` test.
    @TaskLocal public static var current: UInt64?

    /// The running test's seed; a test that draws random values without `.seeded(…)` is a
    /// mistake this stops at once.
    public static var value: UInt64 {
        guard let current else { preconditionFailure("a randomised test needs the .seeded(<n>) trait") }
        return current
    }

    /// A generator seeded with the running test's seed (`salt` separates the streams of
    /// one test that draws from several).
    public static func generator(salt: UInt64 = 0) -> SplitMix64 { SplitMix64(seed: value ^ salt) }

    /// LOYALTY_TEST_SEED if set (a number, or `random`), else the test's fixed seed.
    static func chosen(fixed: UInt64, environment: [String: String] = ProcessInfo.processInfo.environment) -> UInt64 {
        guard let text = environment["LOYALTY_TEST_SEED"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return fixed
        }
        if text == "random" { return UInt64.random(in: 0...UInt64.max) }
        guard let seed = UInt64(text) else { preconditionFailure("LOYALTY_TEST_SEED=\(text): a number or `random`") }
        return seed
    }
}
