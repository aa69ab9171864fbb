import Clearing
import Programme
import Testing

@testable import ClearingNode

/// The clearing node gathers the versions every shard's position lists into the cycle's
/// settlement input (and so its manifest).
@Suite("Programme versions of a cycle")
struct ProgrammeVersionsCycleTests {
    @Test("every partition's versions, sorted and each once")
    func gathered() {
        func position(_ partition: Int64, _ versions: [String]) -> CyclePosition {
            CyclePosition(
                cycle: 1, partition: partition, firstOffset: 0, barrierOffset: 5, closedAtMilliseconds: 0, accepted: 5, rejected: 0,
                duplicates: 0, deadLetters: 0, debts: [], points: [], ledgerDigest: "", programmeVersions: versions)
        }
        let check = CycleCheck(
            cycle: 1, closedAtMilliseconds: 2_000, partitions: 2,
            positions: [0: position(0, ["2026-11-01", "2026-12-01"]), 1: position(1, ["2026-11-01"])], previousPositions: [:],
            previousClosedAtMilliseconds: 0, previousManifestSHA256: nil)
        #expect(check.settlementInput(programme: .sample).programmeVersions == ["2026-11-01", "2026-12-01"])
    }
}
