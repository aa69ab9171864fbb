import Basics
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Random 128-bit identifiers (trace ids, balance inquiries' request ids) as 32 lower-case
/// hex digits, from the operating system's CSPRNG.
///
/// The bytes are fetched 4 KiB at a time (256 identifiers per call): drawing them one
/// byte at a time through `SystemRandomNumberGenerator` was a getrandom system call per
/// byte, 16 per batch line, and the biggest single cost of the batch endpoint.
final class RandomIdentifiers: Sendable {
    static let shared = RandomIdentifiers()

    static let poolBytes = 4096
    static let identifierBytes = 16

    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: RandomIdentifiers.poolBytes)
        /// Bytes already handed out (each byte is used once).
        var used = RandomIdentifiers.poolBytes
    }

    private let pool = Mutex(Pool())

    func next() -> String {
        pool.withLock { pool in
            if pool.used + Self.identifierBytes > pool.bytes.count {
                pool.bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                pool.used = 0
            }
            defer { pool.used += Self.identifierBytes }
            return pool.bytes.withUnsafeBufferPointer { hexString($0[pool.used..<(pool.used + Self.identifierBytes)]) }
        }
    }
}
