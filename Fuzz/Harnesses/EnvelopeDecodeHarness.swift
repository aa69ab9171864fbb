import SwiftProtobuf

@testable import LoyaltyWire

/// A transactions-topic record: `InboundMessage.decode(_:fastPath: false)` (SwiftProtobuf
/// and the structural checks) never traps, and whenever `EnvelopeFastPath` answers, its
/// answer is the one the reference gives.
enum EnvelopeDecodeHarness {
    static func check(_ bytes: [UInt8]) -> String? {
        let reference = InboundMessage.decode(bytes, fastPath: false)
        guard let fast = EnvelopeFastPath.decode(bytes) else { return nil }
        switch reference {
        case .success(let message) where message == fast: return nil
        case .success(let message): return "fast path decoded \(fast), the reference \(message)"
        case .failure(let error): return "fast path decoded \(fast) what the reference refuses (\(error))"
        }
    }
}
