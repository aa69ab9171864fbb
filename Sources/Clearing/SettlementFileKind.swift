/// The kinds of file in a settlement directory, each with the most bytes the verifier
/// reads of it.
///
/// A file's size grows with the number of participants, not of transactions. `loyalty
/// bench clearing` (1,000 participants, 1,000,000 gross debts, 620,597 obligations)
/// writes a 257 KB manifest, a 93 KB instructions CSV, an 874 KB pain.001 and statements
/// of at most 39 KB (a full 1,000 × 999 matrix: about 60 KB). The limits hold a cycle of
/// 16,000 participants with room to spare and keep a verification under about 70 MB of
/// file bytes in memory (one statement at a time).
package enum SettlementFileKind: Sendable, Hashable {
    case manifest, signature, instructions, pain001, statement
    /// An exchange partner's conversion file (ConversionFileCSV.swift): a line per
    /// conversion, ~64 bytes, so 16 MiB is about 250,000 conversions per partner and cycle.
    case conversions

    package var maxBytes: Int64 {
        switch self {
        case .manifest: 16 << 20
        case .signature: 1 << 10
        case .instructions: 8 << 20
        case .pain001: 32 << 20
        case .statement: 4 << 20
        case .conversions: 16 << 20
        }
    }

    package var label: String {
        switch self {
        case .manifest: "manifest"
        case .signature: "manifest signature"
        case .instructions: "instructions CSV"
        case .pain001: "pain.001 XML"
        case .statement: "statement CSV"
        case .conversions: "conversion file CSV"
        }
    }

    /// The kind of a file of `cycle` by its name; nil for a name no cycle file has.
    package static func of(_ name: String, cycle: Int64) -> SettlementFileKind? {
        switch name {
        case SettlementFileName.manifest(cycle: cycle): return .manifest
        case SettlementFileName.signature(cycle: cycle): return .signature
        case SettlementFileName.instructions(cycle: cycle): return .instructions
        case SettlementFileName.pain001(cycle: cycle): return .pain001
        default:
            let conversions = "cycle-\(cycle)-conversions-"
            if name.hasPrefix(conversions), name.hasSuffix(".csv"), name.utf8.count > conversions.utf8.count + 4 { return .conversions }
            let prefix = "cycle-\(cycle)-statement-"
            guard name.hasPrefix(prefix), name.hasSuffix(".csv"), name.utf8.count > prefix.utf8.count + 4 else { return nil }
            return .statement
        }
    }

    /// Why `name` is not a plain file name of `cycle` inside the directory; nil when it is.
    /// A manifest is signed, but the verifier still reads only what it names inside the
    /// directory: no path separator, no `.`/`..` or hidden name, no NUL or control
    /// character, at most 255 bytes, and a cycle file's name.
    package static func nameProblem(_ name: String, cycle: Int64) -> String? {
        if name.isEmpty { return "an empty name" }
        if name.utf8.count > 255 { return "longer than 255 bytes" }
        if name.utf8.contains(UInt8(ascii: "/")) { return "contains a path separator: only names directly inside the directory" }
        if name.utf8.contains(0) { return "contains a NUL byte" }
        if name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return "contains a control character" }
        if name.hasPrefix(".") { return "starts with a dot: no ., .. or hidden files" }
        switch of(name, cycle: cycle) {
        case nil:
            return
                "not a file name of cycle \(cycle) (cycle-\(cycle)-instructions.csv, -pain001.xml, -statement-<partner>.csv or -conversions-<partner>.csv)"
        case .manifest, .signature: return "a manifest cannot list itself or its signature"
        case .instructions, .pain001, .statement, .conversions: return nil
        }
    }
}
