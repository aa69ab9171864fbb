/// The fuzz targets. Each body is a plain function from bytes to a verdict, so the same
/// code runs under libFuzzer (`Entry/FuzzEntry.swift`, built by scripts/fuzz.sh) and over
/// the committed corpus in `swift test` (`Tests/CorpusRegressionTests.swift`).
///
/// A body returns nil when every property it checks holds, else what broke; a trap in the
/// code under test (overflow, out-of-range index) is a crash in both settings.
enum Harness: String, CaseIterable, Sendable {
    /// The JSON fast path (LoyaltyWire's `EnvelopeJSONFastPath`) against SwiftProtobuf's JSON decoder.
    case jsonFastPath = "json-fast-path"
    /// The protobuf fast path (LoyaltyWire's `EnvelopeFastPath`) against `InboundMessage.decode(_:fastPath: false)`.
    case envelopeDecode = "envelope-decode"
    /// The batch framer: chunking never changes the frames; frames match a plain model.
    case batchFramer = "batch-framer"
    /// The signature headers (`RequestAuthenticator`): hostile values are refused, never trap.
    case signatureHeaders = "signature-headers"

    func check(_ bytes: [UInt8]) -> String? {
        switch self {
        case .jsonFastPath: JSONFastPathHarness.check(bytes)
        case .envelopeDecode: EnvelopeDecodeHarness.check(bytes)
        case .batchFramer: BatchFramerHarness.check(bytes)
        case .signatureHeaders: SignatureHeadersHarness.check(bytes)
        }
    }
}
