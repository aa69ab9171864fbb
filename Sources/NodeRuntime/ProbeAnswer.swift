/// A `/health` or `/ready` answer: 200 or 503 with a small JSON body saying why.
public struct ProbeAnswer: Sendable, Equatable {
    public var ok: Bool
    /// For people: what is up, or what is missing ("partition 3: lag 12500 > 10000").
    public var reason: String

    public init(ok: Bool, reason: String) {
        self.ok = ok
        self.reason = reason
    }

    public static func up(_ reason: String) -> ProbeAnswer { ProbeAnswer(ok: true, reason: reason) }
    public static func down(_ reason: String) -> ProbeAnswer { ProbeAnswer(ok: false, reason: reason) }

    public var statusCode: Int { ok ? 200 : 503 }

    /// `{"status":"up","reason":"..."}` (or `"down"`).
    public var json: String {
        "{\"status\":\"\(ok ? "up" : "down")\",\"reason\":\"\(Self.escaped(reason))\"}"
    }

    /// `text` as the inside of a JSON string.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
