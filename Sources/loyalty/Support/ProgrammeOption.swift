import ArgumentParser
import Programme

struct ProgrammeOption: ParsableArguments {
    @Option(
        name: .customLong("programme"),
        help: ArgumentHelp(
            "Programme configuration file (JSON); required (`loyalty dev` alone defaults to the built-in sample, config/programme.sample.json).",
            valueName: "file")
    )
    var path: String?

    /// The one line a node prints when started without a programme: pricing real
    /// transactions with the demo rules must never happen by omission.
    static let missing =
        "no programme given: pass --programme FILE (check the file first with `loyalty programme check FILE`); "
        + "only `loyalty dev` and `loyalty bench` use the built-in sample (config/programme.sample.json)"

    /// The programme of --programme; refuses to go on without one.
    func load() throws -> Programme {
        guard let path else { throw CLIError(Self.missing) }
        return try Self.load(path: path)
    }

    /// The programme of --programme, or the built-in sample (`loyalty dev` only).
    func loadOrSample() throws -> Programme {
        guard let path else { return Programme.sample }
        return try Self.load(path: path)
    }

    private static func load(path: String) throws -> Programme {
        do {
            return try Programme.load(path: path)
        } catch {
            throw ValidationError("\(path) is not a valid programme:\n\(error)")
        }
    }
}
