import Foundation

/// When the clearing node closes cycles by itself.
public enum ClearingSchedule: Sendable, Equatable {
    /// Only on request (`loyalty clearing close`, or `ClearingNode.requestClose()`).
    case onDemand
    /// Every `seconds` after the previous close.
    case interval(seconds: Int64)
    /// Once a day at a local time of a time zone (e.g. 23:00 Europe/Berlin).
    case daily(hour: Int, minute: Int, timeZone: String)

    /// The first instant (UTC ms) after `lastClosedAt` at which a cycle is due, or nil.
    /// The wall clock belongs here, in the clearing node: it is written into the barrier,
    /// so every shard sees the same close time in its log.
    public func nextDue(afterMilliseconds lastClosedAt: Int64) -> Int64? {
        switch self {
        case .onDemand:
            return nil
        case .interval(let seconds):
            return lastClosedAt + seconds * 1_000
        case .daily(let hour, let minute, let zone):
            guard let timeZone = TimeZone(identifier: zone) else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let after = Date(timeIntervalSince1970: Double(lastClosedAt) / 1_000)
            let components = DateComponents(hour: hour, minute: minute, second: 0)
            guard let next = calendar.nextDate(after: after, matching: components, matchingPolicy: .nextTime) else {
                return nil
            }
            return Int64((next.timeIntervalSince1970 * 1_000).rounded())
        }
    }

    /// Parses `--every 3600` or `--daily-at 23:00 --time-zone Europe/Berlin`.
    public static func parse(everySeconds: Int64?, dailyAt: String?, timeZone: String) throws -> ClearingSchedule {
        switch (everySeconds, dailyAt) {
        case (nil, nil):
            return .onDemand
        case (let seconds?, nil):
            guard seconds >= 1 else { throw ClearingNodeError("--every: must be at least 1 second, got \(seconds)") }
            return .interval(seconds: seconds)
        case (nil, let time?):
            let parts = time.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, (0..<24).contains(parts[0]), (0..<60).contains(parts[1]) else {
                throw ClearingNodeError("--daily-at: expected HH:MM (24 h), got \(time)")
            }
            guard TimeZone(identifier: timeZone) != nil else {
                throw ClearingNodeError("--time-zone: unknown time zone \(timeZone) (use an IANA name such as Europe/Berlin)")
            }
            return .daily(hour: parts[0], minute: parts[1], timeZone: timeZone)
        case (_?, _?):
            throw ClearingNodeError("--every and --daily-at exclude each other")
        }
    }
}
