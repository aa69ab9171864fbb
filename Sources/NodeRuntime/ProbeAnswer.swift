import Foundation

/// A `/health` or `/ready` answer: 200 or 503 with a small JSON body saying why.
public struct ProbeAnswer: Sendable, Equatable {
    public var ok: Bool
    /// For people: what is up, or what is missing ("partition 3: lag 12500 > 10000").
    public var reason: String

    public static func up(_ reason: String) -> ProbeAnswer { ProbeAnswer(ok: true, reason: reason) }
    public static func down(_ reason: String) -> ProbeAnswer { ProbeAnswer(ok: false, reason: reason) }

    public var statusCode: Int { ok ? 200 : 503 }

    /// `{"reason":"...","status":"up"}` (or `"down"`). Probes are rare: Foundation's encoder
    /// is cheap enough and escapes whatever an error description holds.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = ["status": ok ? "up" : "down", "reason": reason]
        return (try? encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{\"status\":\"\(ok ? "up" : "down")\"}"
    }
}
