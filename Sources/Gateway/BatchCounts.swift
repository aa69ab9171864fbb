import NIOCore

/// Counts of a batch answer's lines as the writer writes them, for the summary line.
struct BatchCounts {
    var accepted = 0
    var invalid = 0
    var failed = 0

    /// Writes `line` and counts it.
    mutating func write(_ line: BatchLine, number: Int, into out: inout ByteBuffer) {
        switch line {
        case .accepted: accepted += 1
        case .refused: invalid += 1
        case .failed: failed += 1
        case .pending: break
        }
        line.write(number: number, into: &out)
    }

    func summary(verdict: String) -> String {
        "{\"summary\":{\"lines\":\(accepted + invalid + failed),\"accepted\":\(accepted),\"invalid\":\(invalid),\"failed\":\(failed),\(verdict)}}"
    }
}
