#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file whose path or contents may be careless or hostile (a programme file, a
/// secrets file, a key, a settlement file received from elsewhere): only a regular file,
/// never more than a limit, never blocking.
///
/// The file is opened with `O_NONBLOCK` (and `O_NOFOLLOW` unless links are allowed) and
/// checked with `fstat` on the opened descriptor, so what is checked is what is read (no
/// race with a rename), a FIFO or device is refused at once instead of waited on or read
/// for ever (`/dev/zero`), and a file that grows while it is read is still held to the
/// limit. Callers turn a `Refusal` into their own error, naming the file.
public enum RegularFile {
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// A symbolic link where links are not followed.
        case symbolicLink
        /// Not a regular file: what it is instead ("a FIFO (named pipe)", "a directory", …).
        case notRegular(String)
        case tooLarge(size: Int64, limit: Int64)
        case grewPastLimit(Int64)
        /// The system refused `operation` (open, stat, read) with `errno`.
        case system(operation: String, errno: Int32)

        public var description: String {
            switch self {
            case .symbolicLink: "is a symbolic link"
            case .notRegular(let kind): "is \(kind), not a regular file"
            case .tooLarge(let size, let limit): "is \(size) bytes, over the \(limit)-byte limit"
            case .grewPastLimit(let limit): "grew past the \(limit)-byte limit while it was read"
            case .system(let operation, let code): "cannot \(operation): \(String(cString: strerror(code)))"
            }
        }
    }

    /// The bytes of the regular file at `path`, or nil when nothing is there.
    public static func read(_ path: String, maxBytes: Int64, followingLinks: Bool) throws(Refusal) -> [UInt8]? {
        let flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW)
        let descriptor = open(path, flags)
        if descriptor < 0 {
            let code = errno
            switch code {
            case ENOENT: return nil
            case ELOOP where !followingLinks: throw .symbolicLink
            case ENXIO: throw .notRegular("a socket or device")
            default: throw .system(operation: "open", errno: code)
            }
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(operation: "stat", errno: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notRegular(describe(status.st_mode)) }
        guard Int64(status.st_size) <= maxBytes else { throw .tooLarge(size: Int64(status.st_size), limit: maxBytes) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .system(operation: "read", errno: code)
            }
            if count == 0 { return bytes }
            guard Int64(bytes.count + count) <= maxBytes else { throw .grewPastLimit(maxBytes) }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// What a file mode is, for a refusal.
    public static func describe(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}

/// read(2), named apart from `RegularFile.read`.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
