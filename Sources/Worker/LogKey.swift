/// Metadata keys of the worker's log lines, defined once so dashboards can rely on them.
enum LogKey {
    static let partition = "partition"
    static let offset = "offset"
    static let shard = "shard"
    static let reason = "reason"
    static let error = "error"
    static let cycle = "cycle"
    static let topic = "topic"
}
