import ClearingNode
import Crypto
import Foundation
import LoyaltyTesting
import Programme
import SettlementFiles
import Testing

/// Issue 12's chaos test: a cluster of processes (gateway, workers, clearing node) takes
/// traffic through the gateway while a worker is killed and replaced by one with an empty
/// disk, a fourth worker joins and leaves, and the clearing node is killed during a
/// settlement; two cycles are closed. Then every accepted transaction is applied exactly
/// once, and the settlement files are byte-identical to an undisturbed run's.
@Suite("A cluster of processes under chaos", .timeLimit(.minutes(8)))
struct ChaosTests {
    /// Traffic in three phases: before cycle 1's barriers, and cycle 2's in two parts
    /// around the fourth worker's departure.
    struct Traffic {
        let first: [Transaction]
        let second: [Transaction]
        let third: [Transaction]
        let partners: [String]

        init(seed: UInt64) {
            let all = GatewayTraffic.transactions(12_000, members: 1_500, seed: seed)
            first = Array(all[0..<7_000])
            second = Array(all[7_000..<10_000])
            third = Array(all[10_000...])
            partners = Set(all.map(\.partnerId)).sorted()
        }
    }

    /// Close times of the two cycles: fixed for both runs (they are in the barriers and the files).
    static func closeTimes() -> (Int64, Int64) {
        let now = Int64(Date().timeIntervalSince1970) * 1_000
        return (now + 60_000, now + 120_000)
    }

    @Test("kill -9 and replace a worker, add and remove one, kill -9 the clearing node mid-settlement: exactly once, same files", .seeded(12))
    func chaos() async throws {
        let traffic = Traffic(seed: TestSeed.value)
        let closedAt = Self.closeTimes()
        let keyDirectory = NSTemporaryDirectory() + "loyalty-chaos-key-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keyDirectory) }
        let keyPath = keyDirectory + "/operator.key"
        try SigningKeyFile.writePrivateKey(SigningKeyFile.generate(), to: keyPath)

        let chaos = try ClusterRun(label: "chaos", partitions: 6, partners: traffic.partners, keyPath: keyPath)
        let figures = try await Self.runWithFaults(chaos, traffic: traffic, closedAt: closedAt)
        try await Self.checkExactlyOnce(chaos)

        let undisturbed = try ClusterRun(label: "undisturbed", partitions: 6, partners: traffic.partners, keyPath: keyPath)
        let undisturbedSettleSeconds = try await Self.runUndisturbed(undisturbed, traffic: traffic, closedAt: closedAt)
        let got = try chaos.settlementFiles()
        let want = try undisturbed.settlementFiles()
        #expect(want.keys.contains { $0.hasPrefix("cycle-2-") }, "the undisturbed run settled cycle 2")
        #expect(got.keys.sorted() == want.keys.sorted(), "the same settlement files")
        for (name, bytes) in want { #expect(got[name] == bytes, "\(name) is byte-identical to the undisturbed run's") }
        let settle = undisturbedSettleSeconds.map { String(format: "%.2f s", $0) }.joined(separator: ", ")
        print("chaos figures: \(figures); undisturbed run's cycle settle times: \(settle)")
    }

    struct Figures: CustomStringConvertible {
        var catchUpSeconds = 0.0
        var replaySeconds = 0.0
        var catchUpRecords: Int64 = 0
        var maxLag: Int64 = 0
        var lagSamples = 0
        var settleSeconds: [Double] = []
        var clearingKill = ""
        var handOverSeconds = 0.0
        var stops: [String] = []
        var description: String {
            let settle = settleSeconds.map { String(format: "%.2f s", $0) }.joined(separator: ", ")
            return """
                replacement worker caught up \(catchUpRecords) records \(String(format: "%.2f", catchUpSeconds)) s after its start \
                (\(String(format: "%.2f", replaySeconds)) s after its first partition came); \
                max lag \(maxLag) records (\(lagSamples) samples); cycle settle times (close to SETTLED): \(settle); \
                clearing node killed \(clearingKill); partitions of the worker that left applied again \
                \(String(format: "%.2f", handOverSeconds)) s after it exited; SIGTERM: \(stops.joined(separator: ", "))
                """
        }
    }

    static func runWithFaults(_ run: ClusterRun, traffic: Traffic, closedAt: (Int64, Int64)) async throws -> Figures {
        var figures = Figures()
        try await run.startGateway()
        try run.startClearing()
        for name in ["worker-1", "worker-2", "worker-3"] { try run.startWorker(name) }
        let sampler = LagSampler(run)
        sampler.start()
        defer { sampler.stop() }

        try await killAndReplaceWorker(run, sending: traffic.first, sampler: sampler, figures: &figures)
        let closed = ContinuousClock.now
        try run.closeCycle(closedAtMilliseconds: closedAt.0)
        let firstSettled = Task { try await Self.settled(run, 1, closedAt: closed) }
        try await joinAndLeave(run, sending: (traffic.second, traffic.third), figures: &figures)
        figures.settleSeconds.append(try await firstSettled.value)

        let closedSecond = ContinuousClock.now
        try run.closeCycle(closedAtMilliseconds: closedAt.1)
        figures.clearingKill = try await killClearingDuringSettlement(run, cycle: 2)
        try run.startClearing()
        figures.settleSeconds.append(try await Self.settled(run, 2, closedAt: closedSecond))
        sampler.stop()
        figures.maxLag = sampler.maxLag
        figures.lagSamples = sampler.sampleCount
        figures.stops += try await stopAll(run)
        return figures
    }

    /// SIGKILLs worker-1 a third of the way into `transactions` (once it has applied
    /// something) and starts a replacement with an empty data directory.
    static func killAndReplaceWorker(
        _ run: ClusterRun, sending transactions: [Transaction], sampler: LagSampler, figures: inout Figures
    ) async throws {
        let gateway = try #require(run.traffic)
        var replaced = false
        try await gateway.send(transactions) { sent in
            guard !replaced, sent >= transactions.count / 3 else { return }
            let applying = try await poll(timeoutSeconds: 60) { run.applied(by: "worker-1").values.contains { $0 > 0 } }
            try #require(applying, "worker-1 applies before it is killed")
            try await #require(run.workers["worker-1"]).kill()
            run.forget(worker: "worker-1")
            sampler.watchCatchUp(of: "worker-1-replacement", ends: gateway.acknowledged.ends)
            try run.startWorker("worker-1-replacement")
            replaced = true
        }
        #expect(try await poll(timeoutSeconds: 120) { sampler.catchUp != nil }, "the replacement caught up")
        (figures.catchUpSeconds, figures.replaySeconds, figures.catchUpRecords) = sampler.catchUp ?? (0, 0, 0)
        try await run.waitCaughtUp()
    }

    /// A fourth worker joins and takes partitions while `sending.0` flows, then leaves with
    /// SIGTERM; `sending.1` follows. Its session timeout is long: only a clean leave hands
    /// its partitions over before that has passed.
    static let leavingSessionTimeoutMilliseconds = 30_000

    static func joinAndLeave(_ run: ClusterRun, sending: ([Transaction], [Transaction]), figures: inout Figures) async throws {
        let gateway = try #require(run.traffic)
        let fourth = try run.startWorker("worker-4", sessionTimeoutMilliseconds: leavingSessionTimeoutMilliseconds)
        try await gateway.send(sending.0)
        #expect(try await poll(timeoutSeconds: 60) { !run.applied(by: "worker-4").isEmpty }, "worker-4 got partitions")
        try await run.waitCaughtUp()
        let left = try await fourth.stop(graceSeconds: ClusterRun.graceSeconds)
        #expect(left.status == 0, "worker-4: \(left)")
        figures.stops.append("worker-4 \(left)")
        run.forget(worker: "worker-4")
        let departed = ContinuousClock.now
        try await gateway.send(sending.1)
        try await run.waitCaughtUp()
        figures.handOverSeconds = (ContinuousClock.now - departed).seconds
        #expect(figures.handOverSeconds < Double(leavingSessionTimeoutMilliseconds) / 1_000 * 2 / 3, "taken over before its session timed out")
    }

    /// Seconds from a close to SETTLED.
    static func settled(_ run: ClusterRun, _ cycle: Int64, closedAt: ContinuousClock.Instant) async throws -> Double {
        _ = try await run.waitSettled(cycle)
        return (ContinuousClock.now - closedAt).seconds
    }

    /// SIGKILLs the clearing node as soon as the cycle's settlement shows (SETTLING, or a
    /// file of the cycle in the output folder); says where it landed.
    static func killClearingDuringSettlement(_ run: ClusterRun, cycle: Int64) async throws -> String {
        let node = try #require(run.clearing)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: run.settlementDirectory))
        var landed = ""
        let seen = try await poll(timeoutSeconds: 120, intervalMilliseconds: 1) {
            let now = Set(try FileManager.default.contentsOfDirectory(atPath: run.settlementDirectory)).subtracting(before)
            let status = try run.cycle(cycle)?.status
            guard !now.isEmpty || status == .settling || status == .settled else { return false }
            _ = kill(node.pid, SIGKILL)
            landed = "with cycle \(cycle) \(status?.rawValue ?? "?") and \(now.count) new file(s) in the output folder"
            return true
        }
        try #require(seen, "cycle \(cycle) reached its settlement")
        try await node.kill()
        return landed
    }

    /// SIGTERM to every node type: each exits 0 within the grace period.
    static func stopAll(_ run: ClusterRun) async throws -> [String] {
        var stops: [String] = []
        for (name, node) in run.workers.sorted(by: { $0.key < $1.key }) {
            let stop = try await node.stop(graceSeconds: ClusterRun.graceSeconds)
            #expect(stop.status == 0, "\(name): \(stop)")
            stops.append("\(name) \(stop)")
        }
        for node in [run.gateway, run.clearing].compactMap({ $0 }) {
            let stop = try await node.stop(graceSeconds: ClusterRun.graceSeconds)
            #expect(stop.status == 0, "\(node.name): \(stop)")
            stops.append("\(node.name) \(stop)")
        }
        return stops
    }

    /// Every acknowledged transaction applied exactly once: each partition's furthest shard
    /// is at the log's end with one journal outcome per record, no duplicate, and the
    /// digest of an undisturbed replay of the same log.
    static func checkExactlyOnce(_ run: ClusterRun) async throws {
        let (acknowledged, ends) = try #require(run.traffic).acknowledged
        let reference = try run.kafka.digests(try await run.kafka.referenceRun("replay", until: ends))
        var outcomes: Int64 = 0
        for partition in 0..<run.kafka.partitions {
            let end = try #require(ends[partition])
            let want = try #require(reference[partition])
            var found = false
            for name in run.workerNames {
                guard let got = try run.kafka.digests(run.workerData(name))[partition], got.nextOffset == end else { continue }
                found = true
                #expect(got.digest == want.digest, "partition \(partition) in \(name): the undisturbed replay's ledger")
                #expect(got.totals.duplicates == 0, "partition \(partition): nothing was sent twice")
                #expect(got.totals.accepted + got.totals.rejected + got.totals.deadLetters == end - 2, "one outcome per transaction")
            }
            #expect(found, "partition \(partition) applied to its end (\(end)) by some worker")
            outcomes += want.totals.accepted + want.totals.rejected + want.totals.deadLetters
        }
        #expect(outcomes == Int64(acknowledged), "every transaction the gateway acknowledged, once")
    }

    /// The same traffic and closes, no faults, one worker.
    static func runUndisturbed(_ run: ClusterRun, traffic: Traffic, closedAt: (Int64, Int64)) async throws -> [Double] {
        try await run.startGateway()
        try run.startClearing()
        try run.startWorker("worker-1")
        let gateway = try #require(run.traffic)
        try await gateway.send(traffic.first)
        try await run.waitCaughtUp()
        let closed = ContinuousClock.now
        try run.closeCycle(closedAtMilliseconds: closedAt.0)
        let firstSettled = Task { try await Self.settled(run, 1, closedAt: closed) }
        try await gateway.send(traffic.second)
        try await gateway.send(traffic.third)
        try await run.waitCaughtUp()
        let first = try await firstSettled.value
        let closedSecond = ContinuousClock.now
        try run.closeCycle(closedAtMilliseconds: closedAt.1)
        let second = try await Self.settled(run, 2, closedAt: closedSecond)
        _ = try await stopAll(run)
        return [first, second]
    }
}
