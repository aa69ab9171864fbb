import Foundation
import Logging
import Programme
import Synchronization

/// A swift-log handler writing one JSON object per line to standard error:
/// `{"time":"2026-12-02T06:30:00.123Z","level":"info","label":"loyalty.worker","message":"…","metadata":{…}}`.
/// Metadata values keep their shape (strings, arrays, objects); keys are sorted so equal
/// events give equal lines. For log shippers (Loki, Elasticsearch, CloudWatch) that index
/// fields such as `trace_id` without a parser per message format.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// One writer at a time, so concurrent lines never interleave (a pipe only keeps
    /// writes of up to PIPE_BUF bytes whole).
    private static let output = Mutex(())

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        var line = Self.line(
            time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged)
        line.append("\n")
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// The JSON object of one event, without the newline.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var out = "{\"time\":"
        JSONText.appendQuoted(Self.iso8601(time), to: &out)
        out += ",\"level\":"
        JSONText.appendQuoted(level.rawValue, to: &out)
        out += ",\"label\":"
        JSONText.appendQuoted(label, to: &out)
        out += ",\"message\":"
        JSONText.appendQuoted(message, to: &out)
        out += ",\"metadata\":"
        appendObject(metadata, nested: false, to: &out)
        out += "}"
        return out
    }

    /// Metadata as a JSON object, keys sorted. Arrays and objects inside a metadata array
    /// or object are written as their text: the recursion stops one level down, and
    /// swift-log metadata is flat in practice.
    private static func appendObject(_ entries: Logger.Metadata, nested: Bool, to out: inout String) {
        out += "{"
        for (index, key) in entries.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            JSONText.appendQuoted(key, to: &out)
            out += ":"
            append(entries[key]!, nested: nested, to: &out)
        }
        out += "}"
    }

    private static func append(_ value: Logger.Metadata.Value, nested: Bool, to out: inout String) {
        switch value {
        case .string(let text): JSONText.appendQuoted(text, to: &out)
        case .stringConvertible(let convertible): JSONText.appendQuoted(convertible.description, to: &out)
        case .array(let values) where !nested:
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                append(element, nested: true, to: &out)
            }
            out += "]"
        case .dictionary(let entries) where !nested: appendObject(entries, nested: true, to: &out)
        case .array, .dictionary: JSONText.appendQuoted(value.description, to: &out)
        }
    }

    /// UTC, milliseconds: `2026-12-02T06:30:00.123Z`.
    static func iso8601(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let fraction = Int(milliseconds % 1000)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), fraction)
    }
}
