import Clearing
import Crypto

/// Writes a settled cycle's files durably, as `SettlementRenderer` renders them.
public enum SettlementWriter {
    /// Renders and writes every file of the cycle into `directory` (created if missing),
    /// each via a temporary name, fsync and rename; the signature is renamed last, after a
    /// directory fsync, so a present signature means every other file is durable.
    /// Returns what was written.
    @discardableResult
    public static func write(
        _ settlement: CycleSettlement, to directory: String, signingKey: Curve25519.Signing.PrivateKey
    ) throws(ClearingError) -> [SettlementFile] {
        let files = try SettlementRenderer.render(settlement, signingKey: signingKey)
        try DurableFile.makeDirectory(directory)
        try DurableFile.replaceAll(files, directory: directory)
        return files
    }
}
