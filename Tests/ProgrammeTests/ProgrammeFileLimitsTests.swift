import Foundation
import LoyaltyTesting
import Programme
import Testing

/// Every command's `--programme FILE` and `loyalty programme check FILE` read the file
/// through `Programme.load(path:)`: a FIFO, a device or an oversized file fails at once
/// with the path and the reason, instead of hanging or filling memory.
@Suite("Programme file limits", .timeLimit(.minutes(10)))
struct ProgrammeFileLimitsTests {
    @Test("a FIFO, /dev/zero, a directory and a sparse file over the limit are refused; the sample loads")
    func refusals() throws {
        let files = try RefusedFiles("programme-file", limit: Programme.maxFileBytes)
        defer { files.remove() }
        let directory = files.directory
        let good = directory + "/programme.json"
        #expect(FileManager.default.createFile(atPath: good, contents: Data(Programme.sampleJSON.utf8)))
        #expect(try Programme.load(path: good) == Programme.sample)

        let (fifo, big) = (files.fifo, files.oversized)
        for (path, phrase) in [
            (fifo, "not a regular file"), ("/dev/zero", "not a regular file"), (directory, "not a regular file"), (big, "-byte limit"),
        ] {
            let error = #expect(throws: ProgrammeError.self) { try Programme.load(path: path) }
            #expect(error?.problems.first?.field == path)
            #expect(error?.problems.first?.reason.contains(phrase) == true, "\(path): \(String(describing: error))")
        }
    }
}
