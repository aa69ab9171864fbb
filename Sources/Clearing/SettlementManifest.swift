/// `cycle-<N>-manifest.json`, as read back by the verifier. The writer builds the same
/// keys as a `JSONValue` (see `SettlementManifest+Render.swift`); field names here are the
/// JSON keys in snake case.
struct SettlementManifest: Decodable, Sendable {
    struct CurrencyField: Decodable, Sendable {
        var code: String
        var minor_unit_exponent: Int
    }

    struct AccountField: Decodable, Sendable {
        var name: String
        var iban: String
        var bic: String
    }

    struct Window: Decodable, Sendable {
        var from_closed_at_ms: Int64
        var to_closed_at_ms: Int64
        var from_closed_at: String
        var to_closed_at: String
    }

    struct Partition: Decodable, Sendable {
        var partition: Int32
        var first_offset: Int64
        var barrier_offset: Int64
        var offset_count: Int64
        var accepted: Int64
        var rejected: Int64
        var duplicates: Int64
        var dead_letters: Int64
    }

    struct PartitionTotals: Decodable, Sendable {
        var accepted: Int64
        var rejected: Int64
        var duplicates: Int64
        var dead_letters: Int64
        var offset_count: Int64
    }

    struct Gross: Decodable, Sendable {
        var entry_count: Int64
        var obligation_count: Int64
        var amount_minor: Int64
        var self_debt_amount_minor: Int64
    }

    struct Net: Decodable, Sendable {
        var instruction_count: Int64
        var moved_amount_minor: Int64
        var total_receivable_minor: Int64
        var total_payable_minor: Int64
    }

    struct Efficiency: Decodable, Sendable {
        var gross_obligation_count: Int64
        var instruction_count: Int64
        var gross_amount_minor: Int64
        var moved_amount_minor: Int64
        var money_saved_basis_points: Int64
    }

    var format: String
    var cycle: Int64
    var operator_id: String
    var instruction_mode: String
    var central_counterparty_id: String?
    var currency: CurrencyField
    var window: Window
    var accounts: [String: AccountField]
    var partitions: [Partition]
    var partition_totals: PartitionTotals
    var gross: Gross
    var net: Net
    var netting_efficiency: Efficiency
    var net_positions: [String: Int64]
    var files: [String: String]
    var previous_manifest_sha256: String

    static let formatName = "loyalty-settlement-manifest/1"
}
