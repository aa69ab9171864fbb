/// `cycle-<N>-manifest.json`, as read back by the verifier. The writer builds the same
/// keys as a `JSONValue` (see `SettlementManifest+Render.swift`); field names here are the
/// JSON keys in snake case.
package struct SettlementManifest: Decodable, Sendable {
    package struct CurrencyField: Decodable, Sendable {
        package var code: String
        package var minor_unit_exponent: Int
    }

    package struct AccountField: Decodable, Sendable {
        package var name: String
        package var iban: String
        package var bic: String
    }

    package struct Window: Decodable, Sendable {
        package var from_closed_at_ms: Int64
        package var to_closed_at_ms: Int64
        package var from_closed_at: String
        package var to_closed_at: String
    }

    package struct Partition: Decodable, Sendable {
        package var partition: Int32
        package var first_offset: Int64
        package var barrier_offset: Int64
        package var offset_count: Int64
        package var accepted: Int64
        package var rejected: Int64
        package var duplicates: Int64
        package var dead_letters: Int64
    }

    package struct PartitionTotals: Decodable, Sendable {
        package var accepted: Int64
        package var rejected: Int64
        package var duplicates: Int64
        package var dead_letters: Int64
        package var offset_count: Int64
    }

    package struct Gross: Decodable, Sendable {
        package var entry_count: Int64
        package var obligation_count: Int64
        package var amount_minor: Int64
        package var self_debt_amount_minor: Int64
    }

    package struct Net: Decodable, Sendable {
        package var instruction_count: Int64
        package var moved_amount_minor: Int64
        package var total_receivable_minor: Int64
        package var total_payable_minor: Int64
    }

    package struct Efficiency: Decodable, Sendable {
        package var gross_obligation_count: Int64
        package var instruction_count: Int64
        package var gross_amount_minor: Int64
        package var moved_amount_minor: Int64
        package var money_saved_basis_points: Int64
    }

    package var format: String
    package var cycle: Int64
    package var operator_id: String
    package var instruction_mode: String
    package var central_counterparty_id: String?
    package var currency: CurrencyField
    package var window: Window
    package var accounts: [String: AccountField]
    package var partitions: [Partition]
    package var partition_totals: PartitionTotals
    package var gross: Gross
    package var net: Net
    package var netting_efficiency: Efficiency
    package var net_positions: [String: Int64]
    package var files: [String: String]
    package var previous_manifest_sha256: String
    /// The programme versions the cycle's shards priced it by, sorted (absent in manifests
    /// written before versions went through the log).
    package var programme_versions: [String]?
    /// Format 2 (issue 14): each programme partner's economics and their totals
    /// (PartnerEconomics+Render.swift); absent in format 1.
    package var partner_economics: [String: PartnerEconomicsField]?
    package var economics_totals: EconomicsTotals?

    package static let formatName = "loyalty-settlement-manifest/2"
    /// Formats the verifier reads: this one, and format 1 of cycles written before it.
    package static let readableFormats: Set<String> = ["loyalty-settlement-manifest/1", formatName]
}
