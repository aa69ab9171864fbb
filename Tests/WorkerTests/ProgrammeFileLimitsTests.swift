import Foundation
import Programme
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every command's `--programme FILE` and `loyalty programme check FILE` read the file
/// through `Programme.load(path:)`: a FIFO, a device or an oversized file fails at once
/// with the path and the reason, instead of hanging or filling memory.
/// (In WorkerTests because the CLI's tests live here; the loader is the Programme module's.)
@Suite("Programme file limits", .timeLimit(.minutes(1)))
struct ProgrammeFileLimitsTests {
    @Test("a FIFO, /dev/zero, a directory and a sparse file over the limit are refused; the sample loads")
    func refusals() throws {
        let directory = NSTemporaryDirectory() + "programme-file-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let good = directory + "/programme.json"
        #expect(FileManager.default.createFile(atPath: good, contents: Data(Programme.sampleJSON.utf8)))
        #expect(try Programme.load(path: good) == Programme.sample)

        let fifo = directory + "/fifo.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let big = directory + "/big.json"
        let descriptor = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(descriptor >= 0)
        #expect(ftruncate(descriptor, off_t(Programme.maxFileBytes + 1)) == 0)
        close(descriptor)

        for (path, phrase) in [(fifo, "not a regular file"), ("/dev/zero", "not a regular file"), (directory, "not a regular file"), (big, "-byte limit")] {
            let error = #expect(throws: ProgrammeError.self) { try Programme.load(path: path) }
            #expect(error?.problems.first?.field == path)
            #expect(error?.problems.first?.reason.contains(phrase) == true, "\(path): \(String(describing: error))")
        }
    }
}
