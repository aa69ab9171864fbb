/// The one error type of the Clearing module.
///
/// `code` is stable and machine-readable; `message` tells a person what is wrong and what
/// to do about it. Verification failures also carry where (file, line or field) and the
/// expected and found values, so the CLI can print the first mismatch without parsing text.
public struct ClearingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Input values break a documented rule (bad id, negative count, unknown currency exponent).
        case invalidInput = "CLR001"
        /// A debt names a participant that has no settlement account.
        case unknownParticipant = "CLR002"
        /// A sum or product left the Int64 range; the cycle cannot be settled as given.
        case arithmeticOverflow = "CLR003"
        /// Reading, writing, fsyncing or renaming a file failed.
        case fileSystem = "CLR004"
        /// A key file is not 32 raw bytes in hex or base64.
        case keyFormat = "CLR005"
        /// A settlement file is missing.
        case missingFile = "CLR006"
        /// A file's SHA-256 differs from the one its manifest records.
        case hashMismatch = "CLR007"
        /// The manifest's Ed25519 signature does not verify with the given public key.
        case signatureInvalid = "CLR008"
        /// The manifest does not chain to the previous cycle's manifest.
        case chainBroken = "CLR009"
        /// A file's content disagrees with the manifest or with another file of the cycle.
        case contentMismatch = "CLR010"
        /// A file could not be parsed at all.
        case malformedFile = "CLR011"
    }

    public let code: Code
    public let message: String
    /// The file concerned, by name inside the settlement directory, when there is one.
    public let file: String?
    /// A line ("line 4") or field ("GrpHdr/CtrlSum", "files.cycle-2-instructions.csv").
    public let location: String?
    public let expected: String?
    public let found: String?
    /// `errno` of a failed system call, where one failed.
    public let systemErrno: Int32?

    public init(
        _ code: Code, _ message: String, file: String? = nil, location: String? = nil,
        expected: String? = nil, found: String? = nil, systemErrno: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.location = location
        self.expected = expected
        self.found = found
        self.systemErrno = systemErrno
    }

    public var description: String {
        var text = "[\(code.rawValue)] "
        if let file { text += file + (location.map { " (\($0))" } ?? "") + ": " } else if let location { text += location + ": " }
        text += message
        if let expected { text += "; expected: \(expected)" }
        if let found { text += "; found: \(found)" }
        if let systemErrno { text += " (errno \(systemErrno))" }
        return text
    }
}
