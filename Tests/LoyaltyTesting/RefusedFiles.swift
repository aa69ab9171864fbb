import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Paths every file loader (programme, partner secrets) must refuse at once, in a scratch
/// directory of their own: a FIFO (opening it would wait for a writer for ever) and a sparse
/// file one byte over the loader's limit (reading it would fill memory). The directory
/// itself and /dev/zero are the other two a test usually adds.
public struct RefusedFiles {
    public let directory: String
    public let fifo: String
    public let oversized: String

    public init(_ label: String, limit: Int) throws {
        directory = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        fifo = directory + "/fifo.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        oversized = directory + "/big.json"
        let descriptor = open(oversized, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        #expect(ftruncate(descriptor, off_t(limit + 1)) == 0)
        close(descriptor)
    }

    /// Deletes the scratch directory: `defer { files.remove() }`.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
