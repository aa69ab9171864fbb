import Basics
import Crypto
import Foundation
import Programme

/// Renders a settled cycle into its files, in memory (`SettlementWriter` in SettlementFiles
/// writes them durably).
///
/// Files, in write order: statements (one per participant other than the operator),
/// instructions CSV, pain.001 XML, manifest JSON, manifest signature. The signature goes
/// last, so a cycle whose signature exists is complete. Rendering reads no clock and no
/// randomness: the same settlement gives the same bytes (Ed25519 per RFC 8032 is
/// deterministic, as implemented by swift-crypto's BoringSSL backend on Linux).
public enum SettlementRenderer {
    public static func render(
        _ settlement: CycleSettlement, signingKey: Curve25519.Signing.PrivateKey
    ) throws(ClearingError) -> [SettlementFile] {
        let input = settlement.input
        let cycle = input.cycle
        var accounts: [String: ParticipantAccount] = [:]
        for account in input.accounts { accounts[account.id] = account }

        var files: [SettlementFile] = []
        files += statements(settlement)
        files += ConversionFileCSV.files(input)  // exchange partners' conversion files
        let csv = InstructionsCSV.render(settlement.instructions, currency: input.currency, accounts: accounts)
        files.append(SettlementFile(name: SettlementFileName.instructions(cycle: cycle), bytes: Array(csv.utf8)))
        let xml = Pain001Document.render(settlement, accounts: accounts)
        files.append(SettlementFile(name: SettlementFileName.pain001(cycle: cycle), bytes: Array(xml.utf8)))

        var hashes: [String: String] = [:]
        for file in files { hashes[file.name] = sha256Hex(file.bytes) }
        let manifest = Array(try SettlementManifest.render(settlement, fileHashes: hashes).utf8)
        files.append(SettlementFile(name: SettlementFileName.manifest(cycle: cycle), bytes: manifest))
        let signature: Data
        do { signature = try signingKey.signature(for: manifest) } catch {
            throw ClearingError(.keyFormat, "signing the manifest failed: \(error); check the operator key")
        }
        files.append(
            SettlementFile(name: SettlementFileName.signature(cycle: cycle), bytes: Array((hexString(signature) + "\n").utf8)))
        return files
    }

    /// Statements of every participant but the operator, in id order. Rendered on all cores:
    /// a thousand partners' statements are most of a large cycle's bytes.
    static func statements(_ settlement: CycleSettlement) -> [SettlementFile] {
        let input = settlement.input
        let partners = input.accounts.map(\.id).filter { $0 != input.operatorId }.sorted(by: idPrecedes)
        let index = PartnerStatementCSV.Index(settlement)
        let slots = RenderSlots(count: partners.count)
        let width = max(1, min(ProcessInfo.processInfo.activeProcessorCount, maximumRenderThreads, partners.count))
        DispatchQueue.concurrentPerform(iterations: width) { worker in
            var next = worker
            while next < partners.count {
                let bytes = PartnerStatementCSV.render(partner: partners[next], settlement: settlement, index: index)
                slots.store(
                    SettlementFile(name: SettlementFileName.statement(cycle: input.cycle, partner: partners[next]), bytes: bytes),
                    at: next)
                next += width
            }
        }
        return slots.files
    }

    /// Bound on rendering threads, whatever the core count.
    static let maximumRenderThreads = 8
}

/// SHA-256 of bytes as lower-case hex: the manifest's file hashes and the verifier's checks.
public func sha256Hex<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
    hexString(SHA256.hash(data: bytes))
}
