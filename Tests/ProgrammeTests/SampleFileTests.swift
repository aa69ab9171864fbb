import Foundation
import Programme
import Testing

@Suite("The committed sample programme file")
struct SampleFileTests {
    @Test("config/programme.sample.json is valid and equals the built-in sample")
    func sampleFileMatches() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let loaded = try Programme.load(path: root.appendingPathComponent("config/programme.sample.json").path)
        #expect(loaded == Programme.sample)
    }
}
