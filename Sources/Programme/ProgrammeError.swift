/// A programme file that cannot be used, with every problem found (not just the first),
/// each naming the field path (`partners[2].earn_bp.categories.fuel`) and the reason.
public struct ProgrammeError: Error, CustomStringConvertible {
    public var problems: [(field: String, reason: String)]

    public init(problems: [(field: String, reason: String)]) {
        self.problems = problems
    }

    public init(field: String, reason: String) {
        self.problems = [(field, reason)]
    }

    /// True when some problem is reported for exactly `field`.
    public func mentions(_ field: String) -> Bool {
        problems.contains { $0.field == field }
    }

    public var description: String {
        let lines = problems.map { "  \($0.field): \($0.reason)" }
        return "programme is invalid (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + lines.joined(separator: "\n")
    }
}
