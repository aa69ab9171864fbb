import Foundation
import Testing

/// Every file of the committed seed corpus (Fuzz/corpus/<harness>/) through its harness's
/// body, without the instrumented build: an input that once broke a property stays in the
/// corpus, so the fix stays fixed.
@Suite("Fuzz corpus regression", .timeLimit(.minutes(10)))
struct CorpusRegressionTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("corpus")

    static func inputs(_ harness: Harness) throws -> [(name: String, bytes: [UInt8])] {
        let directory = corpusDirectory.appendingPathComponent(harness.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { name in (name, Array(try Data(contentsOf: directory.appendingPathComponent(name)))) }
    }

    @Test("every corpus input holds its harness's properties", arguments: Harness.allCases)
    func corpus(_ harness: Harness) throws {
        let inputs = try Self.inputs(harness)
        #expect(inputs.count >= 3, "the \(harness.rawValue) corpus has \(inputs.count) inputs")
        for input in inputs {
            #expect(harness.check(input.bytes) == nil, "\(harness.rawValue)/\(input.name)")
        }
    }

    /// The framer harness holds `BatchFramer` to these models, so they must say what the
    /// formats are (docs/gateway-api.md): a line's CR counts towards the limit and is then
    /// dropped; blank lines vanish; a too-long line is refused and the stream goes on; a
    /// length prefix over the limit or a body ending inside a message ends the stream.
    @Test("the batch framer harness's models read the formats as documented")
    func framerModels() {
        let body = Array("a\n \t\nbb\r\ncccc\nd\r".utf8)
        #expect(
            BatchFramerHarness.linesModel(body, 3) == [
                .record(Array("a".utf8)), .record(Array("bb".utf8)), .invalid(reason: "", fatal: false), .record(Array("d\r".utf8)),
            ])
        #expect(BatchFramerHarness.delimitedModel([2, 7, 8, 0, 3, 1], 4) == [.record([7, 8]), .record([]), .invalid(reason: "", fatal: true)])
        #expect(BatchFramerHarness.delimitedModel([9, 1, 2, 3], 4) == [.invalid(reason: "", fatal: true)])
        #expect(BatchFramerHarness.delimitedModel([UInt8](repeating: 0xff, count: 10) + [1], 4) == [.invalid(reason: "", fatal: true)])
    }

    /// Issue 9, item 3: a timestamp header of Int64.min overflowed |now - timestamp| and
    /// killed the gateway. Both corpus inputs for it must be refused with 401 on the header.
    @Test("the smallest Int64 as timestamp is refused, signed or not")
    func smallestTimestamp() throws {
        for name in ["raw-int64-min", "signed-int64-min"] {
            let input = try #require(try Self.inputs(.signatureHeaders).first { $0.name == name }, "corpus input \(name)")
            #expect(Harness.signatureHeaders.check(input.bytes) == nil, "\(name)")
        }
    }
}
