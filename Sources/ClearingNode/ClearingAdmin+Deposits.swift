import Foundation
import Programme

extension ClearingAdmin {
    /// What `recordTopUp` did, in words for the CLI.
    public struct TopUpResult: Sendable, Equatable {
        /// false: the same reference was recorded before (nothing changed).
        public var recorded: Bool
        /// The cycle that took it; nil while it waits for the next cycle to close.
        public var cycle: Int64?
    }

    /// The most bytes of a top-up reference; references name statement rows, so they are
    /// limited to letters, digits and `.`, `_`, `-`, `/`, `:` (no CSV quoting).
    public static let maxReferenceBytes = 64

    /// Records money `partner` paid into its deposit (a bank transfer with `reference`),
    /// once per reference. Refused unless the partner has a deposit in `programme`, the
    /// amount is in 1...10^12 and the reference is 1–64 safe characters.
    public static func recordTopUp(
        statePath: String, programme: Programme, partner: String, amountMinor: Int64, reference: String
    ) throws -> TopUpResult {
        guard let terms = programme.partner(partner) else {
            throw ClearingNodeError("partner: \(partner) is not a partner of programme \(programme.version)")
        }
        guard terms.deposit != nil else {
            throw ClearingNodeError(
                "partner: \(partner) has no deposit in programme \(programme.version) (add a \"deposit\" section to top it up)")
        }
        guard FieldLimits.amountRange.contains(amountMinor) else {
            throw ClearingNodeError("amount-minor: must be in 1...10^12 minor units, got \(amountMinor)")
        }
        let bytes = Array(reference.utf8)
        guard (1...maxReferenceBytes).contains(bytes.count), bytes.allSatisfy(isReferenceByte) else {
            throw ClearingNodeError(
                "reference: must be 1-\(maxReferenceBytes) ASCII letters, digits, '.', '_', '-', '/' or ':', got \"\(reference)\"")
        }
        let store = try ClearingStore(path: statePath)
        defer { store.close() }
        switch try store.recordTopUp(partner: partner, amountMinor: amountMinor, reference: reference) {
        case .recorded: return TopUpResult(recorded: true, cycle: nil)
        case .alreadyRecorded(let cycle): return TopUpResult(recorded: false, cycle: cycle)
        }
    }

    static func isReferenceByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || Array(".-_/:".utf8).contains(byte)
    }
}
