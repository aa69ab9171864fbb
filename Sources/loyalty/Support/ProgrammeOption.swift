import ArgumentParser
import Programme

struct ProgrammeOption: ParsableArguments {
    @Option(
        name: .customLong("programme"),
        help: "Programme configuration file (JSON). Default: the built-in sample coalition (see config/programme.sample.json)."
    )
    var path: String?

    func load() throws -> Programme {
        guard let path else { return Programme.sample }
        do {
            return try Programme.load(path: path)
        } catch {
            throw ValidationError("\(path) is not a valid programme:\n\(error)")
        }
    }
}
