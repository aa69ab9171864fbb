import Basics
import Programme

/// Everything needed to settle one clearing cycle. Plain values: the clearing service
/// gathers them from shard positions; tests build them by hand.
public struct CycleSettlementInput: Sendable {
    public var cycle: Int64
    /// Close time of this cycle (Unix epoch milliseconds, UTC); also the pain.001 CreDtTm.
    public var closedAtMilliseconds: Int64
    /// Close time of the previous cycle; 0 for cycle 1.
    public var previousClosedAtMilliseconds: Int64
    public var currency: Currency
    public var operatorId: String
    /// Accounts of every participant, the operator included.
    public var accounts: [ParticipantAccount]
    public var partitions: [PartitionRange]
    public var debts: [DebtTotal]
    public var points: [PartnerPoints]
    /// Lowercase hex SHA-256 of the previous cycle's manifest file; nil or 64 zeros for cycle 1.
    public var previousManifestSHA256: String?
    /// The programme versions the cycle's shards priced it by, sorted, each once (the
    /// manifest's `programme_versions`; `withProgrammeVersions`). Empty: not recorded.
    public var programmeVersions: [String] = []
    /// The cycle's conversions at exchange partners (every shard's): the conversion files
    /// (ConversionFileCSV.swift). Empty: none.
    public var conversions: [Conversion] = []
    /// Partner economics (PartnerEconomics.swift): every programme partner's terms (funding
    /// model, cycle fee, deposit, exposure cap), its deposit as this cycle opens it, and the
    /// partners whose accruals the barrier closing this cycle suspended. Empty: none.
    public var terms: [PartnerTerms] = []
    public var deposits: [DepositOpening] = []
    public var accrualSuspended: [String] = []

    public init(
        cycle: Int64, closedAtMilliseconds: Int64, previousClosedAtMilliseconds: Int64, currency: Currency,
        operatorId: String, accounts: [ParticipantAccount], partitions: [PartitionRange], debts: [DebtTotal],
        points: [PartnerPoints], previousManifestSHA256: String?
    ) {
        self.cycle = cycle
        self.closedAtMilliseconds = closedAtMilliseconds
        self.previousClosedAtMilliseconds = previousClosedAtMilliseconds
        self.currency = currency
        self.operatorId = operatorId
        self.accounts = accounts
        self.partitions = partitions
        self.debts = debts
        self.points = points
        self.previousManifestSHA256 = previousManifestSHA256
    }

    package static let zeroHash = String(repeating: "0", count: 64)

    /// The previous manifest hash as written into the manifest.
    var previousManifestHash: String { previousManifestSHA256 ?? Self.zeroHash }

    func validate() throws(ClearingError) {
        guard cycle >= 1 else {
            throw ClearingError(.invalidInput, "cycle numbers start at 1", location: "cycle", found: String(cycle))
        }
        guard previousClosedAtMilliseconds >= 0, closedAtMilliseconds > previousClosedAtMilliseconds,
            closedAtMilliseconds < 253_402_300_800_000
        else {
            throw ClearingError(
                .invalidInput, "need 0 ≤ previous closed_at < closed_at before year 10000",
                location: "window", found: "\(previousClosedAtMilliseconds)..\(closedAtMilliseconds)")
        }
        try currency.validate()
        var seen = Set<String>()
        for account in accounts {
            try account.validate()
            guard seen.insert(account.id).inserted else {
                throw ClearingError(.invalidInput, "participant \(account.id) has two accounts; keep one", location: "participants.id")
            }
        }
        guard seen.contains(operatorId) else {
            throw ClearingError(.unknownParticipant, "the operator \(operatorId) needs a settlement account in accounts")
        }
        var partitionsSeen = Set<Int32>()
        for range in partitions {
            try range.validate()
            guard partitionsSeen.insert(range.partition).inserted else {
                throw ClearingError(.invalidInput, "partition \(range.partition) appears twice", location: "partitions")
            }
        }
        for entry in points where !seen.contains(entry.partnerId) {
            throw ClearingError(.unknownParticipant, "points for \(entry.partnerId), which has no account", location: "points")
        }
        try validateConversions(accounts: seen)
        try validateEconomics(accountIds: seen)
        let hash = previousManifestHash
        guard hash.utf8.count == 64, hash.utf8.allSatisfy(Hex.isLowercaseDigit) else {
            throw ClearingError(
                .invalidInput, "previous manifest SHA-256 must be 64 lowercase hex digits", found: hash)
        }
        if cycle == 1, hash != Self.zeroHash {
            throw ClearingError(.invalidInput, "cycle 1 has no previous manifest: pass nil or zeros", found: hash)
        }
        if cycle > 1, hash == Self.zeroHash {
            throw ClearingError(
                .invalidInput, "cycle \(cycle) must chain to the SHA-256 of cycle \(cycle - 1)'s manifest")
        }
    }
}
