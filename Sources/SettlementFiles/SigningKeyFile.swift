import Basics
import Clearing
import Crypto
import Foundation

/// The operator's Ed25519 key pair on disk.
///
/// Format: the raw 32-byte key (private: the RFC 8032 seed; public: the encoded point) as
/// 64 lowercase hex digits and a LF. Loading also accepts standard base64 of the same 32
/// bytes (44 characters); surrounding whitespace is ignored. Private key files are written
/// with mode 0600.
public enum SigningKeyFile {
    public static func generate() -> Curve25519.Signing.PrivateKey {
        Curve25519.Signing.PrivateKey()
    }

    public static func text(of key: Curve25519.Signing.PrivateKey) -> String {
        hexString(key.rawRepresentation) + "\n"
    }

    public static func text(of key: Curve25519.Signing.PublicKey) -> String {
        hexString(key.rawRepresentation) + "\n"
    }

    public static func writePrivateKey(_ key: Curve25519.Signing.PrivateKey, to path: String) throws(ClearingError) {
        let (directory, name) = split(path)
        try DurableFile.replace(Array(text(of: key).utf8), name: name, directory: directory, permissions: 0o600)
    }

    public static func writePublicKey(_ key: Curve25519.Signing.PublicKey, to path: String) throws(ClearingError) {
        let (directory, name) = split(path)
        try DurableFile.replace(Array(text(of: key).utf8), name: name, directory: directory)
    }

    public static func loadPrivateKey(from path: String) throws(ClearingError) -> Curve25519.Signing.PrivateKey {
        let raw = try rawKey(path)
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: raw) } catch {
            throw ClearingError(.keyFormat, "not an Ed25519 private key: \(error)", file: path)
        }
    }

    public static func loadPublicKey(from path: String) throws(ClearingError) -> Curve25519.Signing.PublicKey {
        try publicKey(fromText: String(decoding: try readKeyFile(path), as: UTF8.self), source: path)
    }

    /// Parses key text (hex or base64 of 32 bytes), e.g. from a command-line flag.
    public static func publicKey(fromText text: String, source: String = "key text") throws(ClearingError) -> Curve25519.Signing.PublicKey {
        let raw = try decode(text, source: source)
        do { return try Curve25519.Signing.PublicKey(rawRepresentation: raw) } catch {
            throw ClearingError(.keyFormat, "not an Ed25519 public key: \(error)", file: source)
        }
    }

    static func decode(_ text: String, source: String) throws(ClearingError) -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.utf8.count == 64, let bytes = Hex.decode(trimmed) { return bytes }
        if trimmed.utf8.count == 44, let data = Data(base64Encoded: trimmed), data.count == 32 { return Array(data) }
        throw ClearingError(
            .keyFormat, "a key file holds 32 raw bytes as 64 hex digits or 44 base64 characters",
            file: source, found: "\(trimmed.utf8.count) characters")
    }

    private static func rawKey(_ path: String) throws(ClearingError) -> [UInt8] {
        try decode(String(decoding: try readKeyFile(path), as: UTF8.self), source: path)
    }

    /// A key file is tiny: a regular file of at most 4 KiB, read without blocking (a FIFO
    /// or device given by mistake is refused at once, not waited on or read for ever).
    private static func readKeyFile(_ path: String) throws(ClearingError) -> [UInt8] {
        guard let (bytes, _) = try ConfinedDirectory.readRegularFile(path, followingLinks: true, maxBytes: 4096, label: "key file", name: path) else {
            throw ClearingError(.missingFile, "key file not found; create one with SigningKeyFile.write…", file: path)
        }
        return bytes
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
