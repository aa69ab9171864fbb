import ArgumentParser
import Kafka
import Logging

struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var level: String = "info"

    @Option(
        name: .customLong("log-format"),
        help: "text (one readable line per event) or json (one JSON object per line: time, level, label, message, metadata).")
    var format: String = "text"

    /// Bootstraps swift-log (once per process) and logs the linked librdkafka version, with
    /// a warning when it is one known to misbehave (`LibrdkafkaVersion`).
    func bootstrap(label: String) throws -> Logger {
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("--log-level \(level): expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let style = LogFormat(rawValue: format) else {
            throw ValidationError("--log-format \(format): expected text or json")
        }
        let first = LoggingBootstrap.once(level: parsed, format: style)
        var logger = Logger(label: label)
        logger.logLevel = parsed
        if first {
            logger.info("starting", metadata: ["librdkafka": "\(LibrdkafkaVersion.linked)"])
            if let warning = LibrdkafkaVersion.warning() { logger.warning("\(warning)") }
        }
        return logger
    }
}

enum LogFormat: String {
    case text
    case json
}

/// `LoggingSystem.bootstrap` may run once per process.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    /// true the first time (the call that bootstrapped).
    @discardableResult
    static func once(level: Logger.Level, format: LogFormat = .text) -> Bool {
        guard !done else { return false }
        done = true
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return true
    }
}
