import Foundation
import Ledger
import LoyaltyTesting
import Programme
import Testing
import Worker

@Suite("Worker processes killed or stopped", .timeLimit(.minutes(10)))
struct KilledWorkerTests {
    /// Starts `loyalty worker` as a separate process.
    private func spawnWorker(_ test: TestCluster, data: String, exitWhenCaughtUp: Bool, applyThreads: Int? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments =
            [
                "worker", "--programme", sampleProgrammePath, "--bootstrap", test.bootstrap, "--data", data, "--group", "kill-test",
                "--session-timeout-ms", "3000", "--max-batch", "500", "--log-level", "error",
            ] + (exitWhenCaughtUp ? ["--exit-when-caught-up"] : []) + (applyThreads.map { ["--apply-threads", "\($0)"] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func appliedSoFar(_ data: String, partitions: Int32) -> Int64 {
        var total: Int64 = 0
        for partition in 0..<partitions {
            let path = WorkerConfiguration.shardPath(dataDirectory: data, partition: partition)
            guard FileManager.default.fileExists(atPath: path),
                let shard = try? Shard(path: path, partition: partition, programme: .sample)
            else { continue }
            total += (try? shard.nextOffset()) ?? 0
            shard.close()
        }
        return total
    }

    /// Spawns, watches and SIGKILLs worker processes on a thread of its own: the
    /// cooperative pool is shared with the rest of the (parallel) suite, whose blocking
    /// calls could starve a polling task while the worker races to the end.
    /// The pause before each kill is drawn from the test's seed: the same pauses on every
    /// run (the scheduling around them still varies, which is what the test is about).
    private func killRepeatedly(_ test: TestCluster, data: String, total: Int64, kills wanted: Int) async throws -> (kills: Int, midStream: Int) {
        let pauses = TestSeed.generator()
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    var pauses = pauses
                    var kills = 0
                    var midStream = 0
                    var attempts = 0
                    while kills < wanted, attempts < 3 * wanted {
                        attempts += 1
                        let before = appliedSoFar(data, partitions: test.partitions)
                        if before >= total { break }
                        let process = try spawnWorker(test, data: data, exitWhenCaughtUp: false)
                        // Let it join the group and apply some batches, then kill it without warning.
                        let deadline = Date().addingTimeInterval(30)
                        while appliedSoFar(data, partitions: test.partitions) < before + 500, Date() < deadline, process.isRunning {
                            usleep(5_000)
                        }
                        usleep(UInt32.random(in: 0...100_000, using: &pauses))
                        kill(process.processIdentifier, SIGKILL)
                        process.waitUntilExit()
                        guard process.terminationReason == .uncaughtSignal else { continue }
                        kills += 1
                        let after = appliedSoFar(data, partitions: test.partitions)
                        if after > before, after < total { midStream += 1 }
                    }
                    continuation.resume(returning: (kills, midStream))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// Runs a worker process until it has caught up with the log and exits 0, then an
    /// undisturbed in-process worker over the same log: the shards of both runs.
    private func finishAndReference(
        _ test: TestCluster, data: String, until ends: [Int32: Int64], applyThreads: Int? = nil
    ) async throws -> (got: TestCluster.Digests, want: TestCluster.Digests) {
        let finisher = try spawnWorker(test, data: data, exitWhenCaughtUp: true, applyThreads: applyThreads)
        try await exited(finisher)
        #expect(finisher.terminationStatus == 0)
        let reference = try await test.referenceRun("reference", until: ends)
        return (try test.digests(data), try test.digests(reference))
    }

    @Test("a worker process killed with SIGKILL mid-stream and restarted ends with the undisturbed run's ledger", .seeded(11))
    func killAndRestart() async throws {
        let test = try TestCluster(partitions: 4)
        // Long enough that a fast worker is still busy after four kills (30,000 per
        // partition, under the mock's 100,000 per partition).
        let transactions = syntheticTransactions(120_000, members: 5_000, seed: 11)
        let ends = try test.produce(transactions)
        let total = ends.values.reduce(0, +)
        let data = test.dataDirectory("killed")

        let (kills, killedMidStream) = try await killRepeatedly(test, data: data, total: total, kills: 4)
        #expect(kills >= 3)
        #expect(killedMidStream >= 2, "the kills landed while the worker was applying")

        // One apply thread where the killed ones used one per core: the ledger must not
        // depend on how many shards were applied at once.
        let (killed, undisturbed) = try await finishAndReference(test, data: data, until: ends, applyThreads: 1)
        for partition in 0..<test.partitions {
            let got = try #require(killed[partition])
            let want = try #require(undisturbed[partition])
            #expect(got.nextOffset == ends[partition])
            #expect(got.digest == want.digest, "partition \(partition)")
            // Nothing lost, nothing counted twice: one journal outcome per record.
            let outcomes = got.totals.accepted + got.totals.rejected + got.totals.duplicates + got.totals.deadLetters
            #expect(outcomes == ends[partition])
        }
    }

    @Test("SIGTERM: the worker finishes its batch, stores it, leaves the group and exits 0; a successor resumes")
    func gracefulStop() async throws {
        let test = try TestCluster(partitions: 2)
        let ends = try test.produce(syntheticTransactions(60_000, members: 3_000, seed: 13))
        let total = ends.values.reduce(0, +)
        let data = test.dataDirectory("graceful")
        let process = try spawnWorker(test, data: data, exitWhenCaughtUp: false)
        let partitions = test.partitions
        await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(180)
                while appliedSoFar(data, partitions: partitions) < 1_000, Date() < deadline { usleep(5_000) }
                kill(process.processIdentifier, SIGTERM)
                continuation.resume()
            }.start()
        }
        try await exited(process)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let stoppedAt = appliedSoFar(data, partitions: test.partitions)
        #expect(stoppedAt > 0 && stoppedAt < total, "stopped mid-stream")

        // It left the group cleanly: a successor gets the partitions without waiting out
        // a session timeout, and continues from the stored offsets to the same ledger.
        let (got, want) = try await finishAndReference(test, data: data, until: ends)
        for partition in 0..<test.partitions {
            #expect(got[partition]?.digest == want[partition]?.digest, "partition \(partition)")
        }
    }
}
