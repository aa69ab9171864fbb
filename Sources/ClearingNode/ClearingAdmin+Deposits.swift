import Clearing
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
        guard DepositTopUp.isValidReference(reference) else {
            throw ClearingNodeError(
                "reference: must be 1-\(DepositTopUp.maxReferenceBytes) ASCII letters, digits, '.', '_', '-', '/' or ':', got \"\(reference)\"")
        }
        let store = try ClearingStore(path: statePath)
        defer { store.close() }
        switch try store.recordTopUp(partner: partner, amountMinor: amountMinor, reference: reference) {
        case .recorded: return TopUpResult(recorded: true, cycle: nil)
        case .alreadyRecorded(let cycle): return TopUpResult(recorded: false, cycle: cycle)
        }
    }
}
