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

@Suite("The committed coalition programme file")
struct CoalitionFileTests {
    @Test("config/programme.coalition.json is valid, equals the built-in coalition, and mixes every economics feature")
    func coalitionFileMatches() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let loaded = try Programme.load(path: root.appendingPathComponent("config/programme.coalition.json").path)
        #expect(loaded == Programme.coalitionSample)
        // What `loyalty dev` is meant to show: both models, deposits in both modes, fees,
        // a cap, a catalogue and an exchange partner.
        let partners = loaded.partners
        #expect(Set(partners.map(\.fundingModel)) == [.onRedemption, .operatorFunded])
        #expect(Set(partners.compactMap(\.deposit?.whenExhausted)) == [.owe, .refuse])
        #expect(partners.contains { $0.fees.perRedemptionMinor > 0 } && partners.contains { $0.cycleFeeMinor > 0 })
        #expect(partners.contains { $0.exposureCapMinor != nil })
        #expect(partners.filter { $0.kind == .catalogue }.count == 1)
        #expect(partners.filter { $0.kind == .exchange }.map(\.id) == ["skymiles"])
    }
}
