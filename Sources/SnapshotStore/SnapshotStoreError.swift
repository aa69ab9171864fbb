/// Everything that can go wrong keeping or restoring snapshots. The message names the
/// file or key and what to do.
public struct SnapshotStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// No object under the key (or no snapshot of the partition).
        case notFound
        /// Reading or writing a file failed (permissions, disk full, missing mount).
        case io
        /// A key with characters or components the store does not accept.
        case invalidKey
        /// A manifest that cannot be read, or data that does not match its manifest
        /// (size, SHA-256): a partial or damaged snapshot, never restored.
        case corrupt
        /// The snapshot belongs to another partition than the one asked for.
        case wrongPartition
    }

    public var code: Code
    public var message: String
    /// `errno` of the failed system call, where there is one.
    public var systemErrno: Int32?

    public init(_ code: Code, _ message: String, systemErrno: Int32? = nil) {
        (self.code, self.message, self.systemErrno) = (code, message, systemErrno)
    }

    public var description: String { "snapshot store \(code.rawValue): \(message)" }
}
