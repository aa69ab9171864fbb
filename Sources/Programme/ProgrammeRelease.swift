/// A programme version as published into the log by `loyalty programme publish`
/// (transaction.proto `ProgrammeVersion`): the file byte for byte, its version and hash.
/// The shard that reads one prices every later transaction by it (docs/programme.md,
/// "Programme versions").
public struct ProgrammeRelease: Sendable, Equatable, Hashable {
    /// The programme file's `version`.
    public var version: String
    /// Lowercase hex SHA-256 of `json`.
    public var sha256: String
    /// The programme file, byte for byte.
    public var json: [UInt8]
    /// When it was published (UTC ms); informational, never used for pricing.
    public var publishedAtMilliseconds: Int64

    public init(version: String, sha256: String, json: [UInt8], publishedAtMilliseconds: Int64) {
        self.version = version
        self.sha256 = sha256
        self.json = json
        self.publishedAtMilliseconds = publishedAtMilliseconds
    }
}
