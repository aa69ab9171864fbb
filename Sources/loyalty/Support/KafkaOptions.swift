import ArgumentParser
import Foundation

/// Where Kafka is, for every command that talks to it.
struct KafkaOptions: ParsableArguments {
    @Option(name: .customLong("bootstrap"), help: "Kafka bootstrap servers (host:port,...).")
    var bootstrapServers: String?

    @Option(
        name: .customLong("bootstrap-file"),
        help: "File holding the bootstrap servers, as written by `loyalty broker` (default: var/bootstrap.txt)."
    )
    var bootstrapFile: String?

    @Option(
        name: .customLong("kafka"),
        help: ArgumentHelp("Extra librdkafka setting KEY=VALUE, repeatable (security.protocol, sasl.*, ssl.*).", valueName: "key=value")
    )
    var settings: [String] = []

    func resolvedBootstrapServers() throws -> String {
        if let bootstrapServers { return bootstrapServers }
        let path = bootstrapFile ?? "var/bootstrap.txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError(
                "no Kafka given: pass --bootstrap HOST:PORT, or --bootstrap-file PATH; \(path) does not exist "
                    + "(start an embedded cluster with `loyalty broker`)"
            )
        }
        let servers = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !servers.isEmpty else { throw ValidationError("\(path) is empty: expected host:port[,host:port...]") }
        return servers
    }

    func extra() throws -> [String: String] {
        var result: [String: String] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--kafka \(setting): expected KEY=VALUE")
            }
            result[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        return result
    }
}
