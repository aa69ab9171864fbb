import Basics

/// Plain-text formatting for tables people read in a terminal.
enum Format {
    /// 1234567 -> "1,234,567".
    static func grouped(_ value: Int64) -> String { MinorUnits.format(value, exponent: 0, grouped: true) }

    /// Minor units as a decimal amount with integer arithmetic only: 123456, 2 -> "1,234.56".
    static func money(_ minor: Int64, exponent: Int) -> String { MinorUnits.format(minor, exponent: exponent, grouped: true) }

    /// Renders rows as aligned columns; the first row is the header. Numbers align right.
    static func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        var lines: [String] = []
        for (rowIndex, row) in rows.enumerated() {
            let cells = row.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }
            lines.append(cells.joined(separator: "  "))
            if rowIndex == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }
}
