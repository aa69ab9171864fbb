/// Names of a cycle's files inside the settlement directory.
public enum SettlementFileName {
    public static func instructions(cycle: Int64) -> String { "cycle-\(cycle)-instructions.csv" }
    public static func statement(cycle: Int64, partner: String) -> String { "cycle-\(cycle)-statement-\(partner).csv" }
    public static func pain001(cycle: Int64) -> String { "cycle-\(cycle)-pain001.xml" }
    public static func manifest(cycle: Int64) -> String { "cycle-\(cycle)-manifest.json" }
    public static func signature(cycle: Int64) -> String { "cycle-\(cycle)-manifest.sig" }

    /// The cycle number of a manifest file name, nil for any other name.
    public static func manifestCycle(_ name: String) -> Int64? {
        guard name.hasPrefix("cycle-"), name.hasSuffix("-manifest.json") else { return nil }
        let digits = name.dropFirst("cycle-".count).dropLast("-manifest.json".count)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), digits.first != "0" else { return nil }
        return Int64(digits)
    }
}
