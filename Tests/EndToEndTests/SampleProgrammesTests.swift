import Foundation
import LoyaltyTesting
import Testing

/// The sample programme files under config/ are what marketers copy: each must pass
/// `loyalty programme check`, and `loyalty dev --programme FILE` must run a coalition on
/// it and summarise what its rules did.
@Suite("sample programmes", .timeLimit(.minutes(20)))
struct SampleProgrammesTests {
    static let configDirectory = URL(fileURLWithPath: sampleProgrammePath).deletingLastPathComponent().path

    /// The file and lines its dev summary must print (rules the file configures).
    static let samples: [(file: String, expected: [String])] = [
        (
            "programme.retail.json",
            [
                "members by status", "points pending", "breakage (points expired unused, by issuer): catalogue",
                "promotion costs (bonus points issued, by funder): ",
            ]
        ),
        ("programme.hotel.json", ["members by status", "points pending", "breakage (points expired unused, by issuer): none", "promotion costs"]),
        (
            "programme.airline.json",
            ["members by status", "breakage (points expired unused, by issuer): ", "promotion costs (bonus points issued, by funder): hotel"]
        ),
    ]

    @Test("every sample file passes programme check", arguments: samples.map(\.file) + ["programme.beauty.json", "programme.sample.json"])
    func check(file: String) async throws {
        let (status, text) = try await run(["programme", "check", "\(Self.configDirectory)/\(file)"])
        #expect(status == 0, "\(file): \(text)")
        #expect(text.contains("valid"), "\(text)")
    }

    @Test("loyalty dev runs each sample file and summarises its rules", arguments: samples.map(\.file))
    func dev(file: String) async throws {
        let data = NSTemporaryDirectory() + "loyalty-sample-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (status, text) = try await run([
            "dev", "--programme", "\(Self.configDirectory)/\(file)", "--transactions", "4000", "--members", "300", "--data", data,
            "--batch-lines", "100",
        ])
        try #require(status == 0, "\(file): loyalty dev failed:\n\(text)")
        #expect(text.contains("verified"), "\(file): settlement files not verified:\n\(text)")
        for line in Self.samples.first(where: { $0.file == file })!.expected {
            #expect(text.contains(line), "\(file): no \"\(line)\" in the summary:\n\(text)")
        }
    }

    /// Runs the loyalty executable; its exit status and everything it printed.
    func run(_ arguments: [String]) async throws -> (Int32, String) {
        let outputPath = NSTemporaryDirectory() + "loyalty-sample-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
        let output = try #require(FileHandle(forWritingAtPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try loyaltyExecutable())
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try await exited(process, timeoutSeconds: 600)
        try output.close()
        return (process.terminationStatus, try String(contentsOfFile: outputPath, encoding: .utf8))
    }
}
