import Programme

/// A JSON value with one canonical text form: object keys sorted by UTF-8 bytes, two-space
/// indentation, `": "` after keys, LF line ends, a final LF, integers only, non-ASCII kept
/// as UTF-8, control characters as `\u00XX`. The manifest's bytes are signed, so the form
/// must never depend on a library's formatting choices.
indirect enum JSONValue: Sendable, Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case integer(Int64)

    var canonicalText: String {
        var out = ""
        write(into: &out, indent: "")
        return out + "\n"
    }

    /// Depth is bounded by the manifest's fixed shape (three levels), so recursion is safe here.
    private func write(into out: inout String, indent: String) {
        switch self {
        case .integer(let value):
            out += String(value)
        case .string(let text):
            JSONText.appendQuoted(text, to: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[\n"
            let inner = indent + "  "
            for (offset, item) in items.enumerated() {
                out += inner
                item.write(into: &out, indent: inner)
                out += offset == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            let inner = indent + "  "
            let keys = members.keys.sorted(by: idPrecedes)
            for (offset, key) in keys.enumerated() {
                out += inner
                JSONText.appendQuoted(key, to: &out)
                out += ": "
                members[key]!.write(into: &out, indent: inner)
                out += offset == keys.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }
}
