import Foundation
import LoyaltyTesting
import Testing

/// A child process that outlives its wait fails the test with what each of its threads
/// was doing, so a rare hang on a loaded CI machine carries its own evidence.
@Suite struct StillRunningTests {
    @Test func aProcessPastItsWaitIsNamedWithItsThreads() async throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        defer { if sleeper.isRunning { sleeper.terminate() } }
        await #expect {
            try await exited(sleeper, timeoutSeconds: 0.5)
        } throws: { error in
            guard let still = error as? StillRunning else { return false }
            // One thread, asleep ("S") in the kernel, named after its program.
            return still.pid == sleeper.processIdentifier && still.threads.count == 1 && still.threads[0].hasPrefix("sleep S ")
                && "\(still)".contains("threads: sleep S ")
        }
    }
}
