import Basics
import Clearing
import Crypto
import Foundation
import Programme

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
            throw ClearingError(.invalidInput, "is \(RegularFile.describe(status.st_mode)), not a directory", file: path)
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
            path + "/" + name, followingLinks: false, maxBytes: kind.maxBytes, label: kind.label, name: FieldLimits.printable(name))
    }

    /// Reads a regular file of at most `maxBytes` (`RegularFile`) and hashes it; nil when
    /// it does not exist. Without `followingLinks` a symbolic link is refused. Errors name `name`.
    static func readRegularFile(
        _ path: String, followingLinks: Bool, maxBytes: Int64, label: String, name: String
    ) throws(ClearingError) -> (bytes: [UInt8], sha256: String)? {
        let bytes: [UInt8]
        do throws(RegularFile.Refusal) {
            guard let read = try RegularFile.read(path, maxBytes: maxBytes, followingLinks: followingLinks) else { return nil }
            bytes = read
        } catch {
            switch error {
            case .symbolicLink:
                throw refusal(name, "is a symbolic link; verify reads only regular files inside the directory: copy the file itself here")
            case .notRegular, .grewPastLimit: throw refusal(name, "\(error)")
            case .tooLarge(let size, let limit): throw refusal(name, "is \(size) bytes, over the \(limit)-byte limit for a \(label)")
            case .system(let operation, let code):
                throw ClearingError(.fileSystem, "cannot \(operation): \(String(cString: strerror(code)))", file: name, systemErrno: code)
            }
        }
        return (bytes, hexString(SHA256.hash(data: bytes)))
    }

    private static func refusal(_ name: String, _ reason: String) -> ClearingError {
        ClearingError(.invalidInput, "\(reason) (files from elsewhere are not trusted)", file: name)
    }
}
