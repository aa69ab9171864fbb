import Foundation
import Gateway
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The secrets file is read like every file a node is handed: a regular file within a
/// limit, without blocking. A FIFO or device given by mistake fails at start, at once.
@Suite(.timeLimit(.minutes(10)))
struct SecretsFileTests {
    @Test func aFIFOOrAnOversizedFileIsRefusedAtOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = directory + "/secrets.json"
        #expect(FileManager.default.createFile(atPath: good, contents: Data(#"{"fuel": [{"key_id": "k1", "secret": "0123456789abcdef"}]}"#.utf8)))
        #expect(try PartnerCredentials.load(path: good).partnerIds == ["fuel"])

        let fifo = directory + "/fifo.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let big = directory + "/big.json"
        let descriptor = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        #expect(ftruncate(descriptor, off_t(PartnerCredentials.maxFileBytes + 1)) == 0)
        close(descriptor)
        for (path, phrase) in [
            (fifo, "FIFO"), ("/dev/zero", "character device"), (directory, "directory"), (big, "-byte limit"), (directory + "/none", "No such file"),
        ] {
            let error = #expect(throws: GatewaySetupError.self) { try PartnerCredentials.load(path: path) }
            #expect(error?.description.contains(phrase) == true, "\(path): \(String(describing: error))")
        }
    }
}
