import Clearing
import Crypto
import Foundation
import SettlementFiles
import Testing

/// The manifest lists the programme versions a cycle's shards priced it by
/// (docs/programme.md, "Programme versions").
@Suite("Programme versions in the manifest")
struct ProgrammeVersionsManifestTests {
    @Test("sorted, each once, and the files still verify")
    func listedSortedAndVerified() throws {
        let directory = Fixtures.temporaryDirectory()
        let input = Fixtures.input().withProgrammeVersions(["2026-12-01", "2026-11-01", "2026-12-01", "2026-11-01"])
        #expect(input.programmeVersions == ["2026-11-01", "2026-12-01"])
        _ = try SettlementWriter.write(try CycleSettlement.settle(input), to: directory, signingKey: Fixtures.signingKey)
        let bytes = Fixtures.read(directory, "cycle-1-manifest.json")
        let manifest = try JSONDecoder().decode(SettlementManifest.self, from: Data(bytes))
        #expect(manifest.programme_versions == ["2026-11-01", "2026-12-01"])
        #expect(try SettlementVerifier.verify(directory: directory, publicKey: Fixtures.signingKey.publicKey).cycles == [1])
    }

    @Test("a cycle of shards that recorded no versions lists none")
    func noneRecorded() throws {
        let directory = Fixtures.temporaryDirectory()
        _ = try SettlementWriter.write(try CycleSettlement.settle(Fixtures.input()), to: directory, signingKey: Fixtures.signingKey)
        let bytes = Fixtures.read(directory, "cycle-1-manifest.json")
        let manifest = try JSONDecoder().decode(SettlementManifest.self, from: Data(bytes))
        #expect(manifest.programme_versions == [])
    }
}
