import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `--json` of every `loyalty bench …`.
struct BenchJSONOption: ParsableArguments {
    @Flag(help: "Print the figures as one JSON object on stdout; the human report goes to stderr.")
    var json = false
}

/// The figures a bench prints, kept by name so that `--json` can give them as one
/// object (keys sorted; rates in records or transactions per second, times in seconds
/// or milliseconds as the key says). Without `--json` it only collects.
final class BenchFigures: @unchecked Sendable {
    private var values: [String: Any] = [:]
    private let lock = NSLock()
    /// The real stdout, while fd 1 points at stderr (`--json` only).
    private let jsonOutput: FileHandle?

    init(bench: String, _ option: BenchJSONOption) {
        values["bench"] = bench
        guard option.json else {
            jsonOutput = nil
            return
        }
        fflush(nil)  // every output stream: what was printed goes out before fd 1 moves
        let saved = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        jsonOutput = FileHandle(fileDescriptor: saved, closeOnDealloc: true)
    }

    /// Records a figure: a number, text, a flag, or arrays and objects of those.
    func set(_ key: String, _ value: Any) {
        lock.withLock { values[key] = value }
    }

    /// With `--json`: writes the object on the real stdout. Call once, at the end.
    func finish() throws {
        guard let jsonOutput else { return }
        fflush(nil)  // the report's last lines go out (to stderr) before the object
        let data = try lock.withLock { try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys]) }
        jsonOutput.write(data + Data("\n".utf8))
    }
}
