/// A failure of the work itself (not of the command line): printed as "Error: …"
/// without the usage text, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
