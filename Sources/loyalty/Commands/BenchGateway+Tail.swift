import Foundation
import Synchronization
import Worker

/// Where phase (b)'s time goes: each redemption matched (by its partition and offset, from
/// the gateway's answer) with the worker round that applied it, and its latency split at
/// that round's instants.
extension BenchGateway {
    /// The rounds of the in-process workers while phase (b) runs.
    final class RoundLog: Sendable {
        private let state = Mutex<(recording: Bool, rounds: [RoundTiming])>((false, []))

        func record(_ timing: RoundTiming) {
            state.withLock { if $0.recording { $0.rounds.append(timing) } }
        }

        func start() { state.withLock { $0.recording = true } }

        func stop() -> [RoundTiming] {
            state.withLock {
                $0.recording = false
                return $0.rounds
            }
        }
    }

    /// One wait=true redemption of phase (b).
    struct Sample: Sendable {
        var scheduled: ContinuousClock.Instant
        var answered: ContinuousClock.Instant
        var partition: Int32?
        var offset: Int64?
        var ok: Bool
        var milliseconds: Double { (answered - scheduled).milliseconds }
    }

    /// A request's latency split at its round's instants (milliseconds):
    /// `beforeRound` scheduled start to the round's records in hand (client, gateway,
    /// Kafka's ack, the worker's fetch), of which `behindRound` the time the worker was
    /// still busy with earlier rounds after the request started; `apply` decoding and
    /// applying the round; `acks` waiting for Kafka to acknowledge its results; `after`
    /// result acknowledged to the answer (the gateway's results listener, the HTTP answer).
    struct Split {
        var total: Double
        var beforeRound: Double
        var behindRound: Double
        var apply: Double
        var acks: Double
        var after: Double
        /// The round before: its duration from poll to commit, its slowest COMMIT.
        var previousRound: Double
        var previousCommit: Double
        var roundRecords: Int

        static var hops: [(String, KeyPath<Split, Double>)] {
            [
                ("before_round", \.beforeRound), ("behind_round", \.behindRound), ("apply", \.apply), ("acks", \.acks),
                ("after", \.after),
            ]
        }
    }

    static func splits(_ samples: [Sample], _ rounds: [RoundTiming]) -> [Split] {
        var index: [Int32: [(first: Int64, next: Int64, round: Int)]] = [:]
        for (r, round) in rounds.enumerated() {
            for share in round.shares { index[share.partition, default: []].append((share.firstOffset, share.nextOffset, r)) }
        }
        let byEnd = rounds.indices.sorted { rounds[$0].committed < rounds[$1].committed }
        return samples.compactMap { sample in
            guard let partition = sample.partition, let offset = sample.offset,
                let r = index[partition]?.first(where: { $0.first <= offset && offset < $0.next })?.round
            else { return nil }
            let round = rounds[r]
            let previous = byEnd.last { rounds[$0].committed <= round.pollStarted + .microseconds(50) && $0 != r }.map { rounds[$0] }
            return Split(
                total: sample.milliseconds, beforeRound: (round.polled - sample.scheduled).milliseconds,
                behindRound: max(0, (round.pollStarted - sample.scheduled).milliseconds), apply: (round.applied - round.polled).milliseconds,
                acks: (round.acknowledged - round.applied).milliseconds, after: (sample.answered - round.acknowledged).milliseconds,
                previousRound: previous.map { ($0.committed - $0.polled).milliseconds } ?? 0,
                previousCommit: Double(previous?.shares.map(\.commitNanoseconds).max() ?? 0) / 1e6,
                roundRecords: round.shares.reduce(0) { $0 + Int($1.nextOffset - $1.firstOffset) })
        }
    }

    /// Prints the split (means and p99 of every hop; the worst 1 % of requests' means;
    /// the five worst; the rounds' durations and slowest commits) and sets its figures.
    static func reportTail(_ samples: [Sample], _ rounds: [RoundTiming], _ figures: BenchFigures) {
        let splits = splits(samples, rounds).sorted { $0.total < $1.total }
        guard !splits.isEmpty else {
            print("    (no request matched a worker round)")
            return
        }
        let worst = Array(splits.suffix(max(1, splits.count / 100)))
        func mean(_ list: [Split], _ path: KeyPath<Split, Double>) -> Double { list.reduce(0) { $0 + $1[keyPath: path] } / Double(list.count) }
        func p99(_ path: KeyPath<Split, Double>) -> Double { percentile(splits.map { $0[keyPath: path] }.sorted(), 0.99) }
        var hops: [String: Any] = [:]
        var line = "    by hop, mean / p99 / mean of the worst 1 % (ms):"
        for (name, path) in Split.hops {
            hops[name] = ["mean": rounded(mean(splits, path)), "p99": rounded(p99(path)), "worst_mean": rounded(mean(worst, path))]
            line += " \(name) \(text(mean(splits, path)))/\(text(p99(path)))/\(text(mean(worst, path)))"
        }
        print(line)
        figures.set("latency_hops_ms", hops)
        for split in splits.suffix(5).reversed() {
            print(
                "      \(text(split.total)) ms: before the round \(text(split.beforeRound)) (behind earlier rounds \(text(split.behindRound)); "
                    + "the round before took \(text(split.previousRound)), its slowest commit \(text(split.previousCommit))), "
                    + "apply \(text(split.apply)) (\(split.roundRecords) records), acks \(text(split.acks)), after \(text(split.after))")
        }
        let durations = rounds.map { ($0.committed - $0.polled).milliseconds }.sorted()
        let commits = rounds.map { Double($0.shares.map(\.commitNanoseconds).max() ?? 0) / 1e6 }.sorted()
        let slow = commits.filter { $0 > 5 }.count
        print(
            "    \(rounds.count) worker rounds: poll-to-commit p50 \(text(percentile(durations, 0.5))) p99 \(text(percentile(durations, 0.99))) "
                + "max \(text(durations.last ?? 0)) ms; slowest commit per round p99 \(text(percentile(commits, 0.99))) "
                + "max \(text(commits.last ?? 0)) ms, \(slow) over 5 ms")
        figures.set("rounds", rounds.count)
        figures.set("round_p99_ms", rounded(percentile(durations, 0.99)))
        figures.set("round_commit_max_ms", rounded(commits.last ?? 0))
        figures.set("round_commits_over_5_ms", slow)
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    static func text(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `"partition":N` and `"offset":M` of a gateway answer.
    static func position(_ body: String) -> (Int32?, Int64?) {
        func number(_ key: String) -> Int64? {
            guard let range = body.range(of: "\"\(key)\":") else { return nil }
            return Int64(body[range.upperBound...].prefix { $0.isNumber || $0 == "-" })
        }
        return (number("partition").map { Int32($0) }, number("offset"))
    }
}

extension Duration {
    var milliseconds: Double {
        let (s, atto) = components
        return Double(s) * 1e3 + Double(atto) / 1e15
    }
}
