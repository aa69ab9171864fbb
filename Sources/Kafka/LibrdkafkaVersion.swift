import CRdKafka

/// The librdkafka linked into this process, and whether it is one we know to misbehave.
/// Every call used here exists in librdkafka 2.0.2 (Debian bookworm) and in current releases.
public enum LibrdkafkaVersion {
    /// Oldest release without the known protocol bugs: librdkafka v2.2.0's CHANGELOG fixes
    /// the skipping of KIP-482 tagged fields ("buffer underflow", #4278; Metadata read
    /// underflow from 2.1.0, #4253). Older clients misread responses that carry tagged
    /// fields (brokers other than Apache Kafka's, e.g. Tansu, send them in ApiVersions):
    /// every request then fails, surfacing 30-60 s later as unrelated time-outs.
    public static let firstGood: Int32 = 0x0202_0000

    /// `rd_kafka_version_str()`, e.g. "2.0.2".
    public static var linked: String { String(cString: rd_kafka_version_str()) }

    /// `rd_kafka_version()`: 0xMMmmrrxx (major, minor, revision, pre-release).
    public static var linkedNumber: Int32 { rd_kafka_version() }

    /// The warning a node logs at start for `version` (`linkedNumber` by default), nil
    /// when it is not known to be bad.
    public static func warning(for version: Int32 = rd_kafka_version(), named name: String = linked) -> String? {
        guard version < firstGood else { return nil }
        return "librdkafka \(name) is older than 2.2.0: it misreads broker responses with KIP-482 tagged fields "
            + "(fixed in 2.2.0), so brokers other than Apache Kafka may fail with late, unrelated time-outs; "
            + "link librdkafka 2.2.0 or newer (docs/operations.md, \"Supported librdkafka versions and brokers\")"
    }
}
