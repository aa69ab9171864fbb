import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads files of a directory that came from elsewhere, trusting nothing about it: only
/// regular files directly inside it, never through a symbolic link, never more than a
/// limit, hashed in chunks as they are read.
///
/// Each file is opened with `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat` on the
/// opened descriptor, so what is checked is what is read (no race with a rename), a
/// symbolic link is refused instead of followed, and a FIFO is refused instead of
/// waited on. Refusals are `ClearingError.Code.invalidInput`, naming the file and why.
struct ConfinedDirectory {
    let path: String

    /// The directory must exist and be a directory (it may be reached through a symbolic
    /// link: the path is the caller's own choice).
    init(_ path: String) throws(ClearingError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            throw ClearingError(
                .missingFile, "cannot open the settlement directory: \(String(cString: strerror(code)))", file: path,
                systemErrno: code)
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw ClearingError(.invalidInput, "is \(Self.describe(status.st_mode)), not a directory", file: path)
        }
        self.path = path
    }

    /// The names in the directory, any type (the caller reads only the ones it needs).
    func names() throws(ClearingError) -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw ClearingError(.missingFile, "cannot list the settlement directory: \(error)", file: path)
        }
    }

    /// The bytes and SHA-256 (hex) of regular file `name`, or nil when there is no such
    /// name. `name` must be a plain name (checked by the caller); the error names it.
    func load(_ name: String, kind: SettlementFileKind) throws(ClearingError) -> (bytes: [UInt8], sha256: String)? {
        precondition(!name.utf8.contains(UInt8(ascii: "/")) && !name.utf8.contains(0), "only plain names are read")
        return try Self.readRegularFile(
            path + "/" + name, followingLinks: false, maxBytes: kind.maxBytes, label: kind.label, name: Self.printable(name))
    }

    /// Reads a regular file of at most `maxBytes`, hashing it in chunks; nil when it does
    /// not exist. Without `followingLinks` a symbolic link is refused. Errors name `name`.
    static func readRegularFile(
        _ path: String, followingLinks: Bool, maxBytes: Int64, label: String, name: String
    ) throws(ClearingError) -> (bytes: [UInt8], sha256: String)? {
        let flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW)
        let descriptor = open(path, flags)
        if descriptor < 0 {
            let code = errno
            switch code {
            case ENOENT: return nil
            case ELOOP where !followingLinks:
                throw refusal(name, "is a symbolic link; verify reads only regular files inside the directory: copy the file itself here")
            case ENXIO: throw refusal(name, "is a socket or device, not a regular file")
            default:
                throw ClearingError(.fileSystem, "cannot open: \(String(cString: strerror(code)))", file: name, systemErrno: code)
            }
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            throw ClearingError(.fileSystem, "cannot stat: \(String(cString: strerror(code)))", file: name, systemErrno: code)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw refusal(name, "is \(describe(status.st_mode)), not a regular file")
        }
        guard Int64(status.st_size) <= maxBytes else {
            throw refusal(name, "is \(status.st_size) bytes, over the \(maxBytes)-byte limit for a \(label)")
        }
        var hasher = SHA256()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ClearingError(.fileSystem, "read failed: \(String(cString: strerror(code)))", file: name, systemErrno: code)
            }
            if count == 0 { break }
            // A file that grows while it is read is still held to the limit.
            guard Int64(bytes.count + count) <= maxBytes else {
                throw refusal(name, "grew past the \(maxBytes)-byte limit for a \(label) while it was read")
            }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return (bytes, Hex.encode(hasher.finalize()))
    }

    private static func refusal(_ name: String, _ reason: String) -> ClearingError {
        ClearingError(.invalidInput, "\(reason) (files from elsewhere are not trusted)", file: name)
    }

    static func describe(_ mode: mode_t) -> String {
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

    /// A name as it may be printed: control characters escaped.
    static func printable(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
